"""Retention by data category (SECURITY DP-08): cases past and within their periods, one on a
legal hold and one held through a person, canaries planted in everything of each; after the sweep
the purged ones' canaries are nowhere (history, outbox, search tokens, files included), the others
intact, the deletion records hold counts only, a second run and a dry run change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from cases.models import (
    Case,
    CaseNote,
    CasePerson,
    ContactType,
    Draft,
    ExternalEvent,
    ExternalReference,
    FollowUpKind,
    PersonContact,
    PersonToken,
    ReferenceType,
    Report,
    ServiceType,
)
from dashboards.models import ExportJob
from feeds.models import FeedRecord, FeedSource, ImportBatch
from intake.models import UnroutedMessage
from notifications.models import Notification
from portal.models import PortalAccess
from portal.models.updates import PortalUpdate, UpdateType
from privacy import retention_sweep
from privacy.holds import place_hold
from privacy.models import Category, DeletionRecord, SubjectAccessRequest
from project.crypto import fernet
from referrals.models import FollowUp, Referral, ServiceRecord
from risk.models import Assessment, Questionnaire
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory
from tests.privacy.canary import canary, find

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.get_fixed_timezone(0))
YEARS_AGO_7 = NOW - timedelta(days=7 * 365)
MONTHS_AGO_6 = NOW - timedelta(days=180)


def plant(name: str, *, helpline, author, status=Case.Status.CLOSED, closed_at=None) -> dict:
    """A case with a canary `name`+"-field" in every place it keeps words; returns them by place."""
    c = {field: canary(f"{name}-{field}") for field in FIELDS}
    with time_machine.travel(closed_at or NOW, tick=False):
        case = CaseFactory(
            helpline=helpline,
            status=status,
            closed_at=closed_at,
            incident_description=c["incident"],
            incident_location=c["location"],
            discard_note=c["discard"],
        )
        report = ReportFactory(
            case=case,
            body=c["body"],
            sender=f"+4477009{abs(hash(name)) % 100000:05d}",
            raw={"Body": c["raw"]},
            media=[c["media"]],
            recording_url=f"https://api.twilio.com/{c['recording']}",
            transcription=c["transcript"],
            recording_file=f"recordings/{name}.bin",
        )
        storages["protected"].save(
            report.recording_file, ContentFile(fernet().encrypt(c["audio"].encode()))
        )
        ReportFactory(case=case, channel=Report.PORTAL, body=c["portal"], sender="")
        victim = PersonFactory(
            name=c["name"],
            phone="+447700900111",
            address=c["address"],
            date_of_birth=c["dob"],
            contact_preferences={"note": c["prefs"]},
        )
        victim.name = f"{c['name']} Extra"  # a change, so history holds two copies
        victim.save()
        CasePersonFactory(case=case, person=victim, role=CasePerson.Role.VICTIM)
        email = ContactType.objects.filter(shape=ContactType.Shape.EMAIL).first()
        PersonContact.objects.create(person=victim, kind=email, value=c["email"])
        reference = ReferenceType.objects.first()
        ExternalReference.objects.create(case=case, kind=reference, value=c["reference"])
        CaseNote.objects.create(case=case, organisation=helpline, author=author, text=c["note"])
        referral = Referral.objects.create(
            case=case,
            organisation=helpline,
            referred_by=author,
            referred_by_organisation=helpline,
            reason=c["referral"],
        )
        referral.decline_reason = c["decline"]
        referral.save()
        ServiceRecord.objects.create(
            case=case,
            organisation=helpline,
            service_type=ServiceType.objects.first(),
            provided_at=timezone.now(),
            notes=c["service"],
            recorded_by=author,
        )
        FollowUp.objects.create(
            case=case,
            organisation=helpline,
            kind=FollowUpKind.objects.first(),
            due_at=timezone.now(),
            notes=c["followup"],
            assignee=author,
        )
        Draft.objects.create(user=author, form="change", case=case, data={"x": c["draft"]})
        ExternalEvent.objects.create(
            case=case, source="Made-up force", kind="charged", label="Charged",
            occurred_at=timezone.now(), data={"x": c["event"]},
        )  # fmt: skip
        Notification.objects.create(
            case=case, person=victim, channel=Notification.Channel.SMS, kind="victim.made_up",
            text=c["sms"], destination="+447700900111",
        )  # fmt: skip
        PortalAccess.objects.create(case=case, duress_hash=c["duress"])
        Assessment.objects.create(
            case=case, questionnaire=Questionnaire.objects.first(), answers={"1": c["risk"]},
            notes=c["risknote"], score=0, out_of=0, level="standard", completed_by=author,
        )  # fmt: skip
        UnroutedMessage.objects.create(
            message_sid=f"SM{name}", case=case, sender="+447700900999", body=c["unrouted"]
        )
        PortalUpdate.objects.create(
            case=case, update_type=UpdateType.objects.first() or _update_type(),
            title="Update", body=c["update"],
        )  # fmt: skip
        source, _ = FeedSource.objects.get_or_create(slug="made-up-force", name="Made-up force")
        batch = ImportBatch.objects.create(source=source, origin="command", checksum="0" * 64)
        FeedRecord.objects.create(
            source=source, key=f"{name}-row", content_hash="0" * 64, data={"x": c["feed"]},
            personal={"x": c["feedpersonal"]}, case=case, first_batch=batch, last_batch=batch,
        )  # fmt: skip
    return {"case": case, "victim": victim, "report": report, "canaries": c}


FIELDS = [
    "incident",
    "location",
    "discard",
    "body",
    "raw",
    "media",
    "recording",
    "transcript",
    "audio",
    "portal",
    "name",
    "address",
    "dob",
    "prefs",
    "email",
    "reference",
    "note",
    "referral",
    "decline",
    "service",
    "followup",
    "draft",
    "event",
    "sms",
    "duress",
    "update",
    "feed",
    "feedpersonal",
    "risk",
    "risknote",
    "unrouted",
]


def _update_type() -> UpdateType:
    return UpdateType.objects.create(code="made-up", name="Made-up", trigger="manual")


@pytest.fixture
def seeded(supervisor, dpo) -> dict:
    """Past: closed 7 years ago (case content 6 years). Recent: closed 6 months ago. Held: past,
    on a case hold. Held person: past, its victim on a person hold (through a second case)."""
    helpline = supervisor.organisation
    seeds = {
        "past": plant("past", helpline=helpline, author=supervisor, closed_at=YEARS_AGO_7),
        "archived": plant(
            "archived",
            helpline=helpline,
            author=supervisor,
            status=Case.Status.ARCHIVED,
            closed_at=YEARS_AGO_7,
        ),  # fmt: skip
        "recent": plant("recent", helpline=helpline, author=supervisor, closed_at=MONTHS_AGO_6),
        "open": plant("open", helpline=helpline, author=supervisor, status=Case.Status.VERIFIED),
        "held": plant("held", helpline=helpline, author=supervisor, closed_at=YEARS_AGO_7),
        "heldperson": plant(
            "heldperson", helpline=helpline, author=supervisor, closed_at=YEARS_AGO_7
        ),
    }
    place_hold(actor=dpo, reason="Made-up court order", case=seeds["held"]["case"])
    place_hold(actor=dpo, reason="Made-up claim", person=seeds["heldperson"]["victim"])
    return seeds


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """The sweep with the files it deletes after commit deleted (tests run in a transaction)."""

    def run(**options) -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return retention_sweep.sweep(**options)

    return run


def canaries(seed: dict) -> list[str]:
    return list(seed["canaries"].values())


def test_the_sweep_leaves_no_canary_of_purged_cases_and_keeps_the_others(seeded, sweep) -> None:
    with time_machine.travel(NOW, tick=False):
        counts = sweep()

    assert find(*canaries(seeded["past"]), *canaries(seeded["archived"])) == []
    for kept in ("recent", "open", "held", "heldperson"):
        still = {hit.split(" ")[0] for hit in find(*canaries(seeded[kept]))}
        assert "cases.Case.incident_description" in still, kept
    for kept in ("held", "heldperson", "open"):
        assert find(seeded[kept]["canaries"]["email"]), kept
        assert storages["protected"].exists(seeded[kept]["report"].recording_file)
    assert counts[Category.CASE_CONTENT] > 0
    past = seeded["past"]["case"]
    past.refresh_from_db()
    assert past.anonymised_at is not None
    assert past.status == Case.Status.CLOSED
    assert not storages["protected"].exists(seeded["past"]["report"].recording_file)
    assert not PersonToken.objects.filter(person=seeded["past"]["victim"]).exists()
    assert PersonToken.objects.filter(person=seeded["held"]["victim"]).exists()


def test_the_recent_case_loses_only_what_has_a_shorter_period(seeded, sweep) -> None:
    """Closed 6 months ago: contact details (1 year), recordings (1 year) and messages (2 years)
    are kept; 13 months later its contact details and recording go, its content stays."""
    recent = seeded["recent"]
    with time_machine.travel(NOW + timedelta(days=200), tick=False):
        sweep()
    c = recent["canaries"]
    assert find(c["email"], c["address"], c["transcript"], c["recording"]) == []
    assert find(c["incident"], c["note"], c["sms"], c["name"])
    recent["victim"].refresh_from_db()
    assert recent["victim"].phone == ""
    assert recent["victim"].phone_index == ""


def test_deletion_records_hold_counts_only_and_a_second_run_is_a_no_op(seeded, sweep) -> None:
    with time_machine.travel(NOW, tick=False):
        first = sweep()
        records = list(DeletionRecord.objects.values("cause", "category", "count"))
        second = sweep()

    assert records
    assert all(record["cause"] == "retention" for record in records)
    by_category = {record["category"]: record["count"] for record in records}
    assert by_category == {category: count for category, count in first.items() if count}
    assert sum(second.values()) == 0
    assert DeletionRecord.objects.count() == len(records)
    fields = {field.name for field in DeletionRecord._meta.concrete_fields}
    assert fields == {"id", "cause", "category", "count", "at", "erasure"}


def test_a_dry_run_counts_the_same_and_changes_nothing(seeded, sweep) -> None:
    with time_machine.travel(NOW, tick=False):
        dry = sweep(dry_run=True)
        assert DeletionRecord.objects.count() == 0
        assert find(seeded["past"]["canaries"]["incident"])
        assert storages["protected"].exists(seeded["past"]["report"].recording_file)
        assert Case.objects.filter(anonymised_at__isnull=False).count() == 0
        real = sweep()
    assert dry == real
    assert sum(real.values()) > 0


def test_a_lifted_hold_lets_the_next_sweep_remove_the_case(seeded, dpo, sweep) -> None:
    from privacy.holds import lift_hold

    held = seeded["held"]["case"]
    with time_machine.travel(NOW, tick=False):
        sweep()
        lift_hold(hold=held.legal_holds.get(), actor=dpo, reason="Made-up: the case ended")
        sweep()
    assert find(*canaries(seeded["held"])) == []


def test_discarded_reports_go_after_their_period_from_when_they_were_discarded(
    supervisor, sweep
) -> None:
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        case = CaseFactory(helpline=supervisor.organisation, status=Case.Status.IN_TRIAGE)
        ReportFactory(case=case, body=canary("prank"))
    with time_machine.travel(NOW - timedelta(days=89), tick=False):
        case.status = Case.Status.DISCARDED
        case.save()
    with time_machine.travel(NOW, tick=False):
        assert sweep()[Category.DISCARDED_REPORTS] == 0
    assert find(canary("prank"))
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert sweep()[Category.DISCARDED_REPORTS] == 2  # the case's row and its report's
    assert find(canary("prank")) == []
    case.refresh_from_db()
    assert case.anonymised_at is not None


def test_feed_records_on_no_case_go_after_their_period(supervisor, sweep) -> None:
    source = FeedSource.objects.create(slug="made-up", name="Made-up")
    with time_machine.travel(NOW - timedelta(days=2 * 365), tick=False):
        batch = ImportBatch.objects.create(source=source, origin="command", checksum="0" * 64)
        old = FeedRecord.objects.create(
            source=source, key="old", content_hash="0", data={"x": canary("oldrow")},
            first_batch=batch, last_batch=batch,
        )  # fmt: skip
    FeedRecord.objects.create(
        source=source, key="new", content_hash="0", data={"x": canary("newrow")},
        first_batch=batch, last_batch=batch,
    )  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        assert sweep()[Category.FEED_RECORDS] == 1
    assert not FeedRecord.objects.filter(pk=old.pk).exists()
    assert find(canary("newrow"))


def test_expired_exports_lose_their_files(supervisor, dpo, sweep) -> None:
    storages["protected"].save("sar/made-up.zip", ContentFile(b"CANARYsar"))
    request = SubjectAccessRequest.objects.create(
        person_id=1, received_on=NOW.date(), due_on=NOW.date(), requested_by=dpo,
        export_file="sar/made-up.zip", exported_at=NOW - timedelta(days=31),
        expires_at=NOW - timedelta(days=24), status=SubjectAccessRequest.Status.EXPORTED,
    )  # fmt: skip
    # past its own expiry but not the exports period: privacy.sar's expiry job removes it
    recent = SubjectAccessRequest.objects.create(
        person_id=2, received_on=NOW.date(), due_on=NOW.date(), requested_by=dpo,
        export_file="sar/recent.zip", exported_at=NOW - timedelta(days=8),
        expires_at=NOW - timedelta(days=1), status=SubjectAccessRequest.Status.EXPORTED,
    )  # fmt: skip
    job = ExportJob.objects.create(
        owner=supervisor, kind="cases_csv", content=b"x", created_at=NOW - timedelta(days=31)
    )
    with time_machine.travel(NOW, tick=False):
        assert sweep()[Category.EXPORTS] == 2
    request.refresh_from_db()
    job.refresh_from_db()
    assert request.export_file == ""
    assert request.status == SubjectAccessRequest.Status.EXPIRED
    assert job.content is None
    recent.refresh_from_db()
    assert recent.export_file == "sar/recent.zip"
    assert find(canary("sar")) == []


def test_old_reads_are_pruned_through_the_chain_and_a_held_case_holds_them_back(
    supervisor, dpo, sweep
) -> None:
    from cases.audit_chain import verify
    from cases.models import AccessLog
    from privacy.holds import lift_hold

    days = 6 * 365
    old, held = CaseFactory(helpline=supervisor.organisation), CaseFactory()
    for case, at in (
        (old, NOW - timedelta(days=days + 20)),
        (held, NOW - timedelta(days=days + 10)),
    ):
        with time_machine.travel(at, tick=False):
            AccessLog.objects.create(user=supervisor, case=case, action="view", via="web")
    AccessLog.objects.create(user=supervisor, case=old, action="view", via="web")
    hold = place_hold(actor=dpo, reason="Made-up", case=held)

    with time_machine.travel(NOW, tick=False):
        assert sweep(dry_run=True)[Category.ACCESS_LOGS] == 1
        assert AccessLog.objects.count() == 3
        assert sweep()[Category.ACCESS_LOGS] == 1
        assert AccessLog.objects.filter(case=held).exists()
        assert verify().ok
        lift_hold(hold=hold, actor=dpo, reason="Made-up: over")
        assert sweep()[Category.ACCESS_LOGS] == 1
    assert AccessLog.objects.count() == 1
    assert verify().ok


def test_a_recording_the_provider_still_holds_is_deleted_there(
    supervisor, sweep, monkeypatch
) -> None:
    """The case waits for the next sweep when the provider's copy cannot be deleted now; a dry
    run never reaches the provider."""
    from intake.adapters import twilio

    calls: list[str] = []

    def refuse(sid: str) -> None:
        calls.append(sid)
        raise twilio.RecordingUnavailableError("made-up outage")

    monkeypatch.setattr(twilio, "delete_recording", refuse)
    with time_machine.travel(YEARS_AGO_7, tick=False):
        case = CaseFactory(
            helpline=supervisor.organisation, status=Case.Status.CLOSED, closed_at=YEARS_AGO_7
        )
        ReportFactory(
            case=case, recording_sid="RE" + "0" * 32, body=canary("waits"),
            recording_url="https://api.twilio.com/made-up",
        )  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        assert sweep(dry_run=True)[Category.CASE_CONTENT] > 0
        assert calls == []
        assert sweep()[Category.CASE_CONTENT] == 0
    assert calls
    assert find(canary("waits"))
    monkeypatch.setattr(twilio, "delete_recording", lambda sid: calls.append(sid))
    with time_machine.travel(NOW, tick=False):
        assert sweep()[Category.CASE_CONTENT] > 0
    assert find(canary("waits")) == []


def test_unrouted_texts_nobody_took_go_after_the_messages_period(sweep) -> None:
    with time_machine.travel(NOW - timedelta(days=2 * 365 + 1), tick=False):
        UnroutedMessage.objects.create(message_sid="SMold", body=canary("unrouted-old"))
    UnroutedMessage.objects.create(message_sid="SMnew", body=canary("unrouted-new"))
    with time_machine.travel(NOW, tick=False):
        assert sweep()[Category.MESSAGES] == 1
    assert find(canary("unrouted-old")) == []
    assert find(canary("unrouted-new"))
