"""Every write to a case: opening it from its first report and moving it through its states."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Subquery
from django.utils import timezone

from accounts.models import Organisation, User
from cases import signals
from cases.models import Case, CaseNote, CasePerson, Category, Person, Report
from cases.numbering import allocate_case_number
from cases.policy import can_change_case, can_work_case
from cases.workflow import (
    CaseError,
    NotAllowedError,
    ReadOnlyError,
    check_action,
    check_move,
)
from notifications import realtime
from notifications.services import notify_staff, victim_milestone, victim_wrote
from project.crypto import blind_index
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


def case_summary(case: Case) -> realtime.CaseSummary:
    return realtime.CaseSummary(
        number=case.number,
        status=case.status,
        channel=case.channel,
        priority=case.priority,
        created_at=case.created_at.isoformat(),
        claimed_by=case.claimed_by.get_username() if case.claimed_by_id else None,
    )


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


@transaction.atomic
def move_case(
    *, case: Case, to: str, actor: AbstractBaseUser | None, reason: str, action: str | None = None
) -> Case:
    """Move a case to another state, if the state machine allows it (IllegalMoveError otherwise).
    Services name their `action` (workflow.MOVES), so it is also checked where that move may start.
    Locks the case row, so of two people acting at once the second sees the first one's move."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    check_move(locked.status, to, action)
    previous = locked.status
    locked.status = to
    update_fields = ["status", "updated_at"]
    if to == Case.Status.IN_TRIAGE:
        locked.claimed_by, locked.claimed_at = actor, timezone.now()  # type: ignore[assignment]
        locked.first_claimed_at = locked.first_claimed_at or locked.claimed_at
        update_fields += ["claimed_by", "claimed_at", "first_claimed_at"]
    elif previous == Case.Status.IN_TRIAGE and to == Case.Status.NEW:
        locked.claimed_by, locked.claimed_at = None, None
        update_fields += ["claimed_by", "claimed_at"]
    attribute_change(locked, actor=actor, reason=reason)
    locked.save(update_fields=update_fields)
    event_type = {Case.Status.IN_TRIAGE: "case.claimed", Case.Status.NEW: "case.released"}.get(
        to, "case.updated"
    )
    realtime.broadcast_case_event(
        locked.helpline_id,
        realtime.CaseEvent(type=event_type, case=case_summary(locked)),  # type: ignore[typeddict-item]
    )
    return locked


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
            sender_index=blind_index(sender),
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
def end_call(*, helpline: Organisation, call_sid: str, sender: str = "") -> Case:
    """A call ended. Without a recording it still is a case, marked for a call back."""
    stored = _call_report(helpline=helpline, call_sid=call_sid, sender=sender)
    case = Case.objects.select_for_update().get(pk=stored.case_id)
    if not stored.recording_sid and not case.needs_callback:
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
        victim_milestone(case=case, milestone="report_received")
    return case, True


# Casework on the case itself: notes, closing, reopening, archival ---------------------------------


def require(allowed: bool, case: Case, message: str) -> None:
    """Archived cases are read-only to everyone (409); otherwise the policy's answer (403)."""
    if case.is_read_only:
        raise ReadOnlyError(case.number, case.status)
    if not allowed:
        raise NotAllowedError(message)


def organisation_of(actor: User) -> Organisation:
    """The acting user's organisation: the policy let them act, so they have one."""
    if actor.organisation is None:
        raise NotAllowedError("You do not belong to an organisation.")
    return actor.organisation


def lock_case(case: Case) -> Case:
    """The case row, locked for the rest of the transaction: of two people acting on one case at
    once, the second waits and then sees the first one's change."""
    return Case.objects.select_for_update(of=("self",)).select_related("claimed_by").get(pk=case.pk)


def write_note(
    *, case: Case, actor: AbstractBaseUser | None, organisation: Organisation, text: str,
    kind: str = CaseNote.Kind.NOTE, shared: bool = False,
) -> CaseNote:  # fmt: skip
    """Store a note as part of a larger change (the caller checked who may write it)."""
    text = text.strip()
    if not text:
        raise CaseError("Write the note first.")
    note = CaseNote(
        case=case, organisation=organisation, author=actor, kind=kind, shared=shared, text=text
    )
    attribute_change(note, actor=actor, reason=CaseNote.Kind(kind).label)
    note.save()
    return note


@transaction.atomic
def add_note(*, case: Case, actor: User, text: str, shared: bool = False) -> CaseNote:
    """A note on the case: internal to the writer's organisation unless shared with everyone
    working on the case."""
    locked = lock_case(case)
    require(can_change_case(actor, locked), locked, "You cannot write on this case.")
    return write_note(
        case=locked, actor=actor, organisation=organisation_of(actor), text=text, shared=shared
    )


class VictimCheck(models.TextChoices):
    """What the operator could find out from the victim before closing."""

    CHECKED = "checked", "I checked with the victim: they agree it can close"
    NOT_SAFE = "not_safe", "Not safe to contact the victim: closing without checking"
    UNREACHABLE = "unreachable", "Tried, but could not reach the victim safely"


@transaction.atomic
def close_case(*, case: Case, actor: User, remark: str, victim_check: str = "") -> Case:
    """The helpline closes a resolved case, after checking with the victim where that is safe."""
    locked = lock_case(case)
    require(can_work_case(actor, locked), locked, "Only the case's helpline can close it.")
    if victim_check and victim_check not in VictimCheck.values:
        raise CaseError("Say whether you checked with the victim.")
    check_action(locked.status, "close")
    label = VictimCheck(victim_check).label if victim_check else "Victim check not recorded"
    write_note(
        case=locked, actor=actor, organisation=organisation_of(actor), kind=CaseNote.Kind.CLOSING,
        text=f"{remark.strip() or 'Closed.'}\n\n{label}.",
    )  # fmt: skip
    locked.closed_at = timezone.now()
    locked.save(update_fields=["closed_at", "updated_at"])
    _close_follow_ups(locked, actor)
    closed = move_case(
        case=locked, to=Case.Status.CLOSED, actor=actor, reason="Closed", action="close"
    )
    victim_milestone(case=closed, milestone="case_closed")
    return closed


def _close_follow_ups(case: Case, actor: User) -> None:
    """Open follow-ups do not outlive the case (the close page lists them): once it is archived
    nobody could mark them done, and the morning digest would count them overdue for ever."""
    open_ones = case.follow_ups.select_for_update(of=("self",)).filter(done_at=None)  # type: ignore[attr-defined]
    for follow_up in open_ones.select_related("kind"):
        follow_up.done_at, follow_up.done_by = case.closed_at, actor
        attribute_change(
            follow_up,
            actor=actor,
            reason=f"Follow-up done as the case closed: {follow_up.kind.label}",
        )
        follow_up.save(update_fields=["done_at", "done_by"])


@transaction.atomic
def reopen_case(*, case: Case, actor: User, reason: str) -> Case:
    """A closed case comes back to verified, to be referred again; the reason is required."""
    locked = lock_case(case)
    require(can_work_case(actor, locked), locked, "Only the case's helpline can reopen it.")
    if not reason.strip():
        raise CaseError("Say why the case is reopened.")
    check_action(locked.status, "reopen")
    write_note(
        case=locked, actor=actor, organisation=organisation_of(actor), kind=CaseNote.Kind.REOPENED,
        text=reason,
    )  # fmt: skip
    locked.closed_at = None
    locked.save(update_fields=["closed_at", "updated_at"])
    return move_case(
        case=locked, to=Case.Status.VERIFIED, actor=actor, reason="Reopened", action="reopen"
    )


def archive_closed_cases(*, now: datetime | None = None) -> int:
    """Archive every case closed more than ARCHIVE_AFTER_DAYS ago; returns how many. Each case in
    its own transaction, rows others hold are left for the next run: safe to run twice at once."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ARCHIVE_AFTER_DAYS)
    archived = 0
    while True:
        with transaction.atomic():
            due = (
                Case.objects.select_for_update(skip_locked=True)
                .filter(status=Case.Status.CLOSED, closed_at__lte=cutoff)
                .order_by("closed_at")
                .first()
            )
            if due is None:
                return archived
            move_case(
                case=due,
                to=Case.Status.ARCHIVED,
                actor=None,
                reason=f"Archived {settings.ARCHIVE_AFTER_DAYS} days after closing",
                action="archive",
            )
            archived += 1
