"""Every write to a case: opening it from its first report (or a staff member's report), the
messages, calls and recordings that join it, and, named here for callers as the app's one door
for writes, its moves (cases.moves) and the casework on it (cases.casework: notes, closing,
reopening, archival)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Subquery
from django.utils import timezone

from accounts.models import Organisation, User
from cases import events, routing, signals
from cases.casework import (
    VictimCheck,
    add_note,
    archive_closed_cases,
    close_case,
    reopen_case,
)
from cases.models import Case, CasePerson, Category, Person, Report
from cases.moves import (
    case_summary,
    lock_case,
    move_case,
    organisation_of,
    require,
    write_note,
)
from cases.numbering import allocate_case_number
from cases.routing import assign_team
from cases.workflow import (
    CaseError,
)
from notifications import realtime
from notifications.services import notify_staff, victim_wrote
from project.crypto import blind_index, blind_indexes
from project.history import attribute_change

# Cases a new message from the same number joins instead of opening another.
OPEN_STATUSES = (
    Case.Status.NEW,
    Case.Status.IN_TRIAGE,
    Case.Status.VERIFIED,
    Case.Status.REFERRED,
    Case.Status.IN_SERVICE,
    Case.Status.RESOLVED,
)


@dataclass(frozen=True)
class IncomingReport:
    """What any intake adapter hands over, whatever the channel."""

    channel: str
    source_id: str
    received_at: datetime = field(default_factory=timezone.now)
    sender: str = ""
    body: str = ""
    media: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def open_case(
    *, helpline: Organisation, report: IncomingReport, actor: AbstractBaseUser | None = None
) -> tuple[Case, bool]:
    """Store the report and open its numbered case in one transaction. Idempotent on the report's
    source id: a retry returns the case already opened and False."""
    if helpline.kind != Organisation.Kind.HELPLINE:
        raise CaseError(f"{helpline.name} is not a helpline and cannot hold cases.")
    try:
        with transaction.atomic():
            case = _open_case(helpline=helpline, report=report, actor=actor)
    except IntegrityError:
        # Another delivery of the same report won the race: theirs is the case.
        existing = (
            Report.objects.select_related("case")
            .filter(channel=report.channel, source_id=report.source_id)
            .first()
        )
        if existing is None:
            raise
        return existing.case, False
    return case, True


def _open_case(
    *, helpline: Organisation, report: IncomingReport, actor: AbstractBaseUser | None
) -> Case:
    case = Case(
        number=allocate_case_number(report.received_at),
        helpline=helpline,
        channel=report.channel,
        created_at=report.received_at,
    )
    attribute_change(case, actor=actor, reason=f"Opened from a {case.get_channel_display()} report")
    case.save()
    _store_report(case=case, report=report, actor=actor, reason="Report received")
    # before the console hears of it, so the new case lands in its team's queue at once
    routing.route(case, actor=actor)
    notify_staff(
        users=User.objects.filter(
            organisation=helpline, on_duty=True, is_active=True, role=User.Role.OPERATOR
        ),
        kind="case.new",
        case_number=case.number,
        text=f"New {case.get_channel_display()} report {case.number}",
    )
    realtime.broadcast_case_event(
        helpline.pk,
        realtime.CaseEvent(type="case.created", case=case_summary(case)),
    )
    return case


def receive_message(*, helpline: Organisation, report: IncomingReport) -> tuple[Case, bool]:
    """A message from a phone: joins the open case of that number at this helpline (its holder is
    told), or opens a new one. Idempotent on the report's source id. Returns (case, stored now)."""
    # A retry is rare: rather than look first, let the unique (channel, source id) refuse it.
    try:
        with transaction.atomic():
            _serialise_sender(report.sender)
            case = _open_case_of_sender(helpline, report.sender) if report.sender else None
            if case is None:
                return _open_case(helpline=helpline, report=report, actor=None), True
            _add_report(case=case, report=report)
            return case, True
    except IntegrityError:
        existing = _case_of_report(report)
        if existing is None:
            raise
        return existing, False


def _open_case_of_sender(helpline: Organisation, sender: str) -> Case | None:
    """The newest open case this number wrote to at this helpline, locked. Found from the reports'
    (sender_index, received_at) index, so the cost does not grow with the number of cases."""
    latest = (
        Report.objects.filter(
            sender_index__in=blind_indexes(sender),
            case__helpline=helpline,
            case__status__in=OPEN_STATUSES,
        )
        .order_by("-received_at")
        .values("case_id")[:1]
    )
    return Case.objects.select_for_update().filter(pk=Subquery(latest)).first()


def _case_of_report(report: IncomingReport) -> Case | None:
    stored = (
        Report.objects.select_related("case")
        .filter(channel=report.channel, source_id=report.source_id)
        .first()
    )
    return stored.case if stored else None


def _serialise_sender(sender: str) -> None:
    """Two messages from one new number arriving together must make one case, not two: on
    PostgreSQL take a transaction lock on the number (SQLite already runs one writer at a time)."""
    if sender and connection.vendor == "postgresql":
        key = int(blind_index(sender)[:15], 16)  # 60 bits: fits the bigint lock key
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _store_report(
    *, case: Case, report: IncomingReport, actor: AbstractBaseUser | None, reason: str
) -> Report:
    stored = Report(
        case=case,
        channel=report.channel,
        source_id=report.source_id,
        received_at=report.received_at,
        sender=report.sender,
        body=report.body,
        media=report.media,
        raw=report.raw,
    )
    attribute_change(stored, actor=actor, reason=reason)
    stored.save()
    return stored


def _add_report(*, case: Case, report: IncomingReport) -> Report:
    stored = _store_report(
        case=case, report=report, actor=None, reason="Message received on an open case"
    )
    # Deliberately no history row for the case: only its activity time moves, and the new
    # report carries its own history.
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
    # its holder and whoever works its live referrals (notifications.services decides whom)
    victim_wrote(case=case)
    # the apps above cases act on it in this transaction (referrals: a follow-up to reply)
    signals.report_added.send(sender=Case, case=case, report=stored)
    realtime.broadcast_case_event(
        case.helpline_id,
        realtime.CaseEvent(type="case.updated", case=case_summary(case)),
    )
    return stored


def add_report(*, case: Case, report: IncomingReport) -> tuple[Report, bool]:
    """A message from the victim on their known case (they wrote in the portal): stored on it,
    and its holder and live referrals told, as a text joining an open case is. Idempotent on the
    report's source id: a retry returns the stored report and False."""
    try:
        with transaction.atomic():
            return _add_report(case=case, report=report), True
    except IntegrityError:
        stored = Report.objects.filter(channel=report.channel, source_id=report.source_id).first()
        if stored is None or stored.case_id != case.pk:
            raise
        return stored, False


@dataclass(frozen=True)
class Recording:
    call_sid: str
    recording_sid: str
    url: str
    duration: int | None = None


@transaction.atomic
def attach_recording(*, helpline: Organisation, recording: Recording) -> Case:
    """Attach a call's recording to the call's report (opening the case if the call itself never
    reached us). A repeat of the same recording changes nothing."""
    stored = _call_report(helpline=helpline, call_sid=recording.call_sid)
    if stored.recording_sid == recording.recording_sid:
        return stored.case
    stored.recording_sid = recording.recording_sid
    stored.recording_url = recording.url
    stored.recording_duration = recording.duration
    attribute_change(stored, actor=None, reason="Recording received")
    stored.save(update_fields=["recording_sid", "recording_url", "recording_duration"])
    case = stored.case
    if case.needs_callback:  # the status callback came first; there is a message after all
        case.needs_callback = False
        attribute_change(case, actor=None, reason="Recording arrived: no call back needed")
        case.save(update_fields=["needs_callback", "updated_at"])
    realtime.broadcast_case_event(
        case.helpline_id,
        realtime.CaseEvent(type="case.updated", case=case_summary(case)),
    )
    return case


@transaction.atomic
def attach_transcription(*, helpline: Organisation, call_sid: str, text: str) -> Case:
    stored = _call_report(helpline=helpline, call_sid=call_sid)
    if stored.transcription == text:
        return stored.case
    stored.transcription = text
    attribute_change(stored, actor=None, reason="Transcription received")
    stored.save(update_fields=["transcription"])
    return stored.case


@transaction.atomic
def end_call(
    *, helpline: Organisation, call_sid: str, sender: str = "", answered: bool = False
) -> Case:
    """A call ended. Without a recording it still is a case, marked for a call back, unless
    `answered`: someone on the helpline talked with the caller (the caller of this function knows;
    cases does not keep live calls)."""
    stored = _call_report(helpline=helpline, call_sid=call_sid, sender=sender)
    case = Case.objects.select_for_update().get(pk=stored.case_id)
    if not answered and not stored.recording_sid and not case.needs_callback:
        case.needs_callback = True
        attribute_change(case, actor=None, reason="Call ended without a message: call back")
        case.save(update_fields=["needs_callback", "updated_at"])
        realtime.broadcast_case_event(
            case.helpline_id,
            realtime.CaseEvent(type="case.updated", case=case_summary(case)),
        )
    return case


def _call_report(*, helpline: Organisation, call_sid: str, sender: str = "") -> Report:
    """The report of a call, stored now if the incoming-call webhook never reached us."""
    stored = Report.objects.filter(channel=Case.Channel.VOICE, source_id=call_sid).first()
    if stored is None:
        open_case(
            helpline=helpline,
            report=IncomingReport(channel=Case.Channel.VOICE, source_id=call_sid, sender=sender),
        )
        stored = Report.objects.get(channel=Case.Channel.VOICE, source_id=call_sid)
    return Report.objects.select_for_update().select_related("case").get(pk=stored.pk)


@dataclass(frozen=True)
class VictimDetails:
    """What a victim told us about themselves and how it is safe to reach them."""

    name: str = ""
    phone: str = ""  # E.164
    contact_preferences: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IncidentDetails:
    category: Category | None = None
    occurred_at: datetime | None = None
    location: str = ""
    description: str = ""
    priority: str = Case.Priority.STANDARD


def open_reported_case(
    *,
    helpline: Organisation,
    report: IncomingReport,
    incident: IncidentDetails,
    victim: VictimDetails,
) -> tuple[Case, bool]:
    """A report that arrives with its details (the web form): the case, its incident and the
    victim with their contact preferences, in one transaction. Idempotent on the source id."""
    with transaction.atomic():
        case, created = open_case(helpline=helpline, report=report)
        if not created:
            return case, False
        case.category = incident.category
        case.incident_occurred_at = incident.occurred_at
        case.incident_location = incident.location
        case.incident_description = incident.description
        case.priority = incident.priority
        attribute_change(case, actor=None, reason="Details from the report")
        case.save(
            update_fields=[
                "priority",
                "category",
                "incident_occurred_at",
                "incident_location",
                "incident_description",
                "updated_at",
            ]
        )
        person = Person(
            name=victim.name,
            phone=victim.phone,
            contact_preferences=victim.contact_preferences,
        )
        attribute_change(person, actor=None, reason="Victim described in the report")
        person.save()
        link = CasePerson(case=case, person=person, role=CasePerson.Role.VICTIM)
        attribute_change(link, actor=None, reason="Victim described in the report")
        link.save()
        assign_team(case)  # its category is known now
        events.case_event(case=case, event=events.REPORT_RECEIVED)
    return case, True


__all__ = [
    "OPEN_STATUSES",
    "IncidentDetails",
    "IncomingReport",
    "Recording",
    "VictimCheck",
    "VictimDetails",
    "add_note",
    "archive_closed_cases",
    "attach_recording",
    "attach_transcription",
    "case_summary",
    "close_case",
    "end_call",
    "lock_case",
    "move_case",
    "open_case",
    "open_reported_case",
    "organisation_of",
    "receive_message",
    "reopen_case",
    "require",
    "write_note",
]
