"""Services and follow-ups: logging a service the organisation gave the victim, setting a
follow-up and marking it done, and the reminders and morning digests of follow-ups that are due.
Each write locks the case, checks the access policy and leaves history with who and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases import events
from cases.models import Case, FollowUpKind, ServiceType
from cases.moves import lock_case, organisation_of, require
from cases.policy import can_change_case
from cases.workflow import check_work
from notifications.services import notify_staff
from project.history import attribute_change
from referrals.casework import ReferralError, tell
from referrals.models import FollowUp, ServiceRecord

MAX_SERVICE_MINUTES = 24 * 60
# A follow-up of this kind is an appointment: marked for the victim, it is an update in the portal.
APPOINTMENT = "appointment"
# A service's time may be a little ahead of the server's clock (a phone's clock), never more.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ServiceEntry:
    service_type: ServiceType
    provided_at: datetime
    duration_minutes: int | None = None
    notes: str = ""


def _lock_to_serve(case: Case, actor: User, what: str, work: str) -> Case:
    """The case locked, if the actor may work on it and its state takes `work` (cases.workflow)."""
    locked = lock_case(case)
    require(can_change_case(actor, locked), locked, f"You cannot add {what} to this case.")
    check_work(locked.status, work)
    return locked


@transaction.atomic
def log_service(*, case: Case, actor: User, entry: ServiceEntry) -> ServiceRecord:
    """Record a service the actor's organisation gave the victim."""
    locked = _lock_to_serve(case, actor, "services", "serve")
    if not entry.service_type.is_active:
        raise ReferralError(f"{entry.service_type.label} is no longer offered.")
    if entry.provided_at > timezone.now() + CLOCK_SKEW:
        raise ReferralError("A service cannot be logged before it happens.")
    if entry.duration_minutes is not None and not 0 < entry.duration_minutes <= MAX_SERVICE_MINUTES:
        raise ReferralError("The duration is in minutes, at most a day.")
    record = ServiceRecord(
        case=locked,
        organisation=organisation_of(actor),
        service_type=entry.service_type,
        provided_at=entry.provided_at,
        duration_minutes=entry.duration_minutes,
        notes=entry.notes.strip(),
        recorded_by=actor,
    )
    attribute_change(record, actor=actor, reason=f"Service logged: {entry.service_type.label}")
    record.save()
    return record


@dataclass(frozen=True)
class FollowUpEntry:
    kind: FollowUpKind
    due_at: datetime
    notes: str = ""
    assignee: User | None = None
    # Meant for the victim: its kind and time show in the portal (never its notes).
    for_victim: bool = False


@transaction.atomic
def add_follow_up(*, case: Case, actor: User, entry: FollowUpEntry) -> FollowUp:
    """A task for later on this case, for the actor or a colleague in the same organisation."""
    locked = _lock_to_serve(case, actor, "follow-ups", "follow_up")
    if not entry.kind.is_active:
        raise ReferralError(f"{entry.kind.label} is no longer in use.")
    assignee = entry.assignee or actor
    if assignee.organisation_id != actor.organisation_id or not can_change_case(assignee, locked):
        raise ReferralError(f"{assignee.get_username()} cannot work on this case.")
    follow_up = FollowUp(
        case=locked,
        organisation=organisation_of(actor),
        kind=entry.kind,
        due_at=entry.due_at,
        notes=entry.notes.strip(),
        assignee=assignee,
        created_by=actor,
        for_victim=entry.for_victim,
    )
    shown = " (shown to the victim in the portal)" if entry.for_victim else ""
    attribute_change(follow_up, actor=actor, reason=f"Follow-up set: {entry.kind.label}{shown}")
    follow_up.save()
    # Only an appointment staff marked as meant for the victim is theirs to be told of (what the
    # portal shows is staff's choice); one kept for the team is not.
    if entry.kind.code == APPOINTMENT and entry.for_victim:
        events.case_event(case=locked, event=events.APPOINTMENT, when=entry.due_at, actor=actor)
    return follow_up


@transaction.atomic
def complete_follow_up(*, follow_up: FollowUp, actor: User) -> FollowUp:
    case = lock_case(follow_up.case)
    locked = FollowUp.objects.select_for_update(of=("self",)).get(pk=follow_up.pk)
    require(
        locked.organisation_id == actor.organisation_id and can_change_case(actor, case),
        case,
        "Only the organisation that set this follow-up can mark it done.",
    )
    if locked.done_at is not None:
        return locked
    locked.done_at, locked.done_by = timezone.now(), actor
    attribute_change(locked, actor=actor, reason=f"Follow-up done: {locked.kind.label}")
    locked.save(update_fields=["done_at", "done_by"])
    return locked


def remind_due_follow_ups(*, now: datetime | None = None) -> int:
    """Tell each assignee, once, that a follow-up of theirs is due. Returns how many were told."""
    now = now or timezone.now()
    reminded = 0
    while True:
        with transaction.atomic():
            follow_up = (
                FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("case", "kind", "assignee")
                .filter(done_at=None, reminded_at=None, due_at__lte=now)
                .order_by("due_at")
                .first()
            )
            if follow_up is None:
                return reminded
            follow_up.reminded_at = now
            attribute_change(follow_up, actor=None, reason="Reminder sent: the follow-up is due")
            follow_up.save(update_fields=["reminded_at"])
            tell(
                [follow_up.assignee],
                kind="follow_up.due",
                case=follow_up.case,
                text=f"Follow-up due: {follow_up.kind.label}, case {follow_up.case.number}",
            )
            reminded += 1


def send_follow_up_digests(*, now: datetime | None = None) -> int:
    """Each morning, one alert per person with follow-ups due today or overdue: counts and no case
    details. Sent once a day per person however often it runs. Returns how many were sent."""
    from notifications.models import Notification

    now = now or timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    start_of_day = end_of_day.replace(hour=0, minute=0, second=0)
    open_tasks = FollowUp.objects.filter(done_at=None, due_at__lte=end_of_day)
    already = Notification.objects.filter(
        kind="follow_ups.digest", created_at__gte=start_of_day
    ).values("recipient_id")
    sent = 0
    for user in (
        User.objects.filter(is_active=True, follow_ups__in=open_tasks)
        .exclude(pk__in=already)
        .distinct()
    ):
        mine = open_tasks.filter(assignee=user)
        overdue = mine.filter(due_at__lt=now).count()
        today = mine.count() - overdue
        with transaction.atomic():
            notify_staff(
                users=[user],
                kind="follow_ups.digest",
                case_number="",
                text=f"Follow-ups: {today} due today, {overdue} overdue",
            )
        sent += 1
    return sent
