"""A victim with something planted everywhere Lantern keeps data about a person, on a case that
also names a perpetrator and another victim, whose canaries must survive the victim's erasure."""

from __future__ import annotations

from dataclasses import dataclass

from cases.models import (
    CaseNote,
    CasePerson,
    ContactType,
    Draft,
    ExternalReference,
    Person,
    PersonContact,
    ReferenceType,
)
from feeds.models import FeedRecord, FeedRecordVersion, FeedSource, ImportBatch
from intake.models import UnroutedMessage
from notifications.models import Notification
from portal.models import PortalAccess, PortalUpdate, UpdateType
from risk.models import Assessment, Questionnaire
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory
from tests.privacy.canary import canary

VICTIM = {
    "name": canary("victimname"),
    "phone": canary("victimphone"),
    "address": canary("victimaddress"),
    "dob": canary("victimdob"),
    "ethnicity": canary("victimethnicity"),
    "old_name": canary("victimoldname"),
    "contact": canary("victimcontact"),
    "mobile": canary("victimmobile"),
    "reference": canary("victimreference"),
    "sms": canary("victimsms"),
    "raw": canary("victimraw"),
    "transcript": canary("victimtranscript"),
    "portal": canary("victimportalmessage"),
    "outbox": canary("victimoutbox"),
    "update": canary("victimupdate"),
    "risk": canary("victimrisknotes"),
    "draft": canary("victimdraft"),
    "unrouted": canary("victimunrouted"),
    "feed": canary("victimfeed"),
    "feed_before": canary("victimfeedbefore"),
}
OTHERS = {
    "perpetrator": canary("perpname"),
    "perpetrator_phone": canary("perpphone"),
    "other_victim": canary("othervictimname"),
    "other_sms": canary("othervictimsms"),
    "note": canary("staffnote"),
    "incident": canary("incident"),
}


@dataclass
class Planted:
    victim: Person
    perpetrator: Person
    other_victim: Person
    case_ids: list[int]


def plant(helpline, staff) -> Planted:
    case = CaseFactory(
        helpline=helpline,
        incident_description=f"{VICTIM['name']} was hurt. {OTHERS['incident']}",
    )
    second = CaseFactory(helpline=helpline)
    victim = CasePersonFactory(
        case=case,
        person=PersonFactory(
            name=VICTIM["old_name"],
            phone=VICTIM["phone"],
            address=VICTIM["address"],
            date_of_birth=VICTIM["dob"],
            ethnicity=VICTIM["ethnicity"],
            contact_preferences={"safe_words": VICTIM["contact"]},
        ),
    ).person
    victim.name = VICTIM["name"]  # a change: the history keeps the old name
    victim.save()
    CasePerson.objects.create(case=second, person=victim, role=CasePerson.Role.VICTIM)
    perpetrator = CasePersonFactory(
        case=case,
        role=CasePerson.Role.PERPETRATOR,
        person=PersonFactory(name=OTHERS["perpetrator"], phone=OTHERS["perpetrator_phone"]),
    ).person
    other_victim = CasePersonFactory(
        case=case, person=PersonFactory(name=OTHERS["other_victim"], phone="+447700900999")
    ).person
    _contacts(victim)
    _messages(case, second, victim, staff)
    _casework(case, victim, staff)
    return Planted(victim, perpetrator, other_victim, [case.pk, second.pk])


def _contacts(victim: Person) -> None:
    kinds = {kind.code: kind for kind in ContactType.objects.all()}
    PersonContact.objects.create(person=victim, kind=kinds["address"], value=VICTIM["contact"])
    PersonContact.objects.create(person=victim, kind=kinds["mobile"], value=VICTIM["mobile"])
    ExternalReference.objects.create(
        person=victim,
        kind=ReferenceType.objects.get(code="crime_number"),
        value=VICTIM["reference"],
    )


def _messages(case, second, victim: Person, staff) -> None:
    ReportFactory(
        case=case,
        sender=VICTIM["phone"],
        body=VICTIM["sms"],
        raw={"Body": VICTIM["raw"]},
        transcription=VICTIM["transcript"],
        recording_sid="RE123",
    )
    ReportFactory(case=second, sender=VICTIM["mobile"], body=VICTIM["sms"])
    ReportFactory(case=case, channel="portal", sender="", body=VICTIM["portal"])
    ReportFactory(case=case, sender="+447700900999", body=OTHERS["other_sms"])
    Notification.objects.create(
        person=victim,
        case=case,
        channel=Notification.Channel.SMS,
        kind="victim.case_closed",
        text=VICTIM["outbox"],
        destination=VICTIM["phone"],
    )
    UnroutedMessage.objects.create(
        message_sid="SMunrouted1", sender=VICTIM["phone"], body=VICTIM["unrouted"]
    )
    PortalAccess.objects.create(case=case)
    PortalUpdate.objects.create(
        case=case, update_type=UpdateType.objects.first(), title="An update", body=VICTIM["update"]
    )


def _casework(case, victim: Person, staff) -> None:
    CaseNote.objects.create(
        case=case,
        organisation=case.helpline,
        author=staff,
        text=f"Called {VICTIM['name']} on {VICTIM['phone']}. {OTHERS['note']}",
    )
    Assessment.objects.create(
        case=case,
        questionnaire=Questionnaire.objects.first(),
        answers={"1": "yes"},
        notes=VICTIM["risk"],
        score=1,
        out_of=20,
        level="standard",
        completed_by=staff,
    )
    Draft.objects.create(user=staff, form="change", case=case, data={"note": VICTIM["draft"]})
    Draft.objects.create(user=staff, form="new-case", case=None, data={"name": VICTIM["name"]})
    source = FeedSource.objects.create(slug="made-up-force", name="Made-up force")
    batch = ImportBatch.objects.create(source=source, origin="command", checksum="0" * 64)
    record = FeedRecord.objects.create(
        source=source, key="row-1", content_hash="0" * 64, data={"offence": "made-up"},
        personal={"victim_name": VICTIM["feed"]}, case=case, first_batch=batch, last_batch=batch,
    )  # fmt: skip
    FeedRecordVersion.objects.create(
        record=record,
        batch=batch,
        content_hash="1" * 64,
        personal={"victim": VICTIM["feed_before"]},
    )
