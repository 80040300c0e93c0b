"""Casework across organisations: referring a case (with the victim's consent), the receiving side
accepting or declining, services and follow-ups, resolving and sending back. Every write locks the
case, checks the access policy, leaves history with who and why, and moves the case only through
cases.services.move_case. Staff are told through the outbox, after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.selectors import staff_with
from cases.models import Case, CaseNote, FollowUpKind, ServiceType
from cases.policy import (
    can_change_case,
    can_refer,
    can_respond_to_referral,
    can_serve_case,
    can_supervise_case,
    can_withdraw_referral,
    can_work_case,
)
from cases.services import lock_case, move_case, organisation_of, require, write_note
from cases.targets import accept_hours
from cases.workflow import CaseError, ConflictError, NotAllowedError
from notifications.services import notify_staff, victim_milestone
from project.history import attribute_change
from referrals.follow_ups import settle_follow_ups
from referrals.models import FollowUp, Referral, ServiceRecord

logger = logging.getLogger(__name__)

S = Case.Status
# A case can be referred once it is verified and until it is resolved.
REFERABLE = (S.VERIFIED, S.REFERRED, S.IN_SERVICE)
# Services are logged on a case someone is working on (a resolved case may still get a follow-up
# call from the helpline before it closes).
SERVICEABLE = (S.VERIFIED, S.REFERRED, S.IN_SERVICE, S.RESOLVED)
MAX_SERVICE_MINUTES = 24 * 60
# A follow-up of this kind is an appointment with the victim: they get a reminder if they asked.
APPOINTMENT = "appointment"
# A service's time may be a little ahead of the server's clock (a phone's clock), never more.
CLOCK_SKEW = timedelta(minutes=5)


class ReferralError(CaseError):
    """A referral action refused for a reason the person acting can see and fix (400)."""


def _lock_referral(referral: Referral) -> tuple[Case, Referral]:
    """Lock the case first, then the referral: every writer takes them in that order."""
    case = lock_case(referral.case)
    locked = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("organisation", "referred_by_organisation", "assignee", "referred_by")
        .get(pk=referral.pk)
    )
    return case, locked


def _tell(users: Iterable[User], *, kind: str, case: Case, text: str) -> None:
    """In-app alerts through the outbox: a case number and neutral words, never a victim's details."""
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    if recipients:
        notify_staff(users=recipients.values(), kind=kind, case_number=case.number, text=text)


def acceptance_deadline(case: Case, start: datetime) -> datetime:
    hours = accept_hours()[case.priority]  # the admin's deadlines by priority (cases.targets)
    return start + timedelta(hours=hours)


def _settle(case: Case, actor: User | None, why: str) -> Case:
    """After a referral ends: while another is live nothing moves. Otherwise a case nobody took
    goes back to verified (to be referred again), and a case in service is resolved."""
    if case.referrals.filter(status__in=Referral.GRANTS_ACCESS).exists():
        return case
    if case.status == S.REFERRED:
        return move_case(
            case=case,
            to=S.VERIFIED,
            actor=actor,
            reason=f"{why}: refer again",
            action="refer_again",
        )
    if case.status == S.IN_SERVICE:
        return move_case(
            case=case, to=S.RESOLVED, actor=actor, reason=f"{why}: resolved", action="resolve"
        )
    return case


# Referring ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralRequest:
    organisation: Organisation
    reason: str = ""
    consent: bool = False
    assignee: User | None = None
    # without consent: a supervisor's reason for referring anyway (audited)
    consent_override: str = ""


@transaction.atomic
def refer_case(*, case: Case, actor: User, request: ReferralRequest) -> Referral:
    """Refer the case to an organisation, with the victim's recorded consent. Without it only a
    supervisor may refer, with a reason, and the override is kept as a shared note. A CSO serving
    the case may refer it onward the same way."""
    locked = lock_case(case)
    require(can_refer(actor, locked), locked, "You cannot refer this case.")
    if locked.status not in REFERABLE:
        raise ConflictError(
            f"A case that is {locked.get_status_display().lower()} cannot be referred."
        )
    organisation = request.organisation
    if organisation.kind != Organisation.Kind.CSO or not organisation.is_active:
        raise ReferralError(f"{organisation.name} does not take referrals.")
    if organisation.pk == actor.organisation_id:
        raise ReferralError("A case cannot be referred to your own organisation.")
    if locked.referrals.filter(
        organisation=organisation, status__in=Referral.GRANTS_ACCESS
    ).exists():
        raise ConflictError(f"{organisation.name} already has this case.")
    assignee = request.assignee
    if assignee is not None and not (
        assignee.is_active
        and can_respond_to_referral(assignee, organisation.pk)
        and assignee.has_perm("referrals.log_service")
    ):
        raise ReferralError(f"{assignee.get_username()} cannot take referrals for {organisation}.")
    overridden_by = _consent(locked, actor, request)

    now = timezone.now()
    referral = Referral(
        case=locked,
        organisation=organisation,
        assignee=assignee,
        reason=request.reason.strip(),
        consent=request.consent,
        consent_overridden_by=overridden_by,
        referred_by=actor,
        referred_by_organisation=organisation_of(actor),
        created_at=now,
        deadline=acceptance_deadline(locked, now),
    )
    why = f"Referred to {organisation.name}"
    if overridden_by is not None:
        why += f" without consent: override by {actor.get_username()}"
        write_note(
            case=locked, actor=actor, organisation=organisation_of(actor),
            kind=CaseNote.Kind.CONSENT_OVERRIDE, shared=True, text=request.consent_override,
        )  # fmt: skip
        # A security event: who overrode consent on which case (ids only, never the reason).
        logger.warning(
            "referral_consent_override",
            extra={"case_id": locked.pk, "user_id": actor.pk, "organisation_id": organisation.pk},
        )
    attribute_change(referral, actor=actor, reason=why)
    referral.save()
    if locked.status == S.VERIFIED:
        locked = move_case(case=locked, to=S.REFERRED, actor=actor, reason=why, action="refer")
    _tell(
        [assignee] if assignee else staff_with(organisation.pk, "referrals.respond_referral"),
        kind="referral.received",
        case=locked,
        text=f"New referral: case {locked.number}",
    )
    return referral


def _consent(case: Case, actor: User, request: ReferralRequest) -> User | None:
    """Who overrode a missing consent, or None when the victim consented."""
    if request.consent:
        return None
    if not request.consent_override.strip():
        raise ReferralError(
            "The victim has not consented to this referral. Ask them first, or a supervisor can "
            "refer without consent, giving the reason."
        )
    if not can_supervise_case(actor, case):
        raise NotAllowedError("Only a supervisor can refer a case without the victim's consent.")
    return actor


# Answering ---------------------------------------------------------------------------------------


def _require_pending(referral: Referral) -> None:
    if referral.status != Referral.Status.PENDING:
        raise ConflictError(
            f"This referral is already {referral.get_status_display().lower()}.",
        )


@transaction.atomic
def accept_referral(*, referral: Referral, actor: User) -> Referral:
    """The receiving organisation takes the case on; the first acceptance puts it in service."""
    case, locked = _lock_referral(referral)
    require(
        can_respond_to_referral(actor, locked.organisation_id),
        case,
        "Only the receiving organisation can accept this referral.",
    )
    _require_pending(locked)
    now = timezone.now()
    locked.status = Referral.Status.ACCEPTED
    locked.responded_at, locked.responded_by = now, actor
    locked.assignee = locked.assignee or actor
    why = f"Referral accepted by {locked.organisation.name}"
    attribute_change(locked, actor=actor, reason=why)
    locked.save(update_fields=["status", "responded_at", "responded_by", "assignee"])
    if case.status == S.REFERRED:
        taken = move_case(case=case, to=S.IN_SERVICE, actor=actor, reason=why, action="accept")
        victim_milestone(case=taken, milestone="referral_accepted")
    _tell([locked.referred_by], kind="referral.accepted", case=case, text=f"{why}: {case.number}")
    return locked


@transaction.atomic
def decline_referral(*, referral: Referral, actor: User, reason: str) -> Referral:
    """The receiving organisation says no, and why; the referrer is told to refer elsewhere."""
    case, locked = _lock_referral(referral)
    require(
        can_respond_to_referral(actor, locked.organisation_id),
        case,
        "Only the receiving organisation can decline this referral.",
    )
    _require_pending(locked)
    if not reason.strip():
        raise ReferralError("Say why you decline, so the helpline can refer elsewhere.")
    now = timezone.now()
    locked.status = Referral.Status.DECLINED
    locked.responded_at, locked.responded_by, locked.ended_at = now, actor, now
    locked.decline_reason = reason.strip()
    why = f"Referral declined by {locked.organisation.name}"
    attribute_change(locked, actor=actor, reason=why)
    locked.save(
        update_fields=["status", "responded_at", "responded_by", "ended_at", "decline_reason"]
    )
    _settle(case, actor, why)
    _tell([locked.referred_by], kind="referral.declined", case=case, text=f"{why}: {case.number}")
    return locked


@transaction.atomic
def withdraw_referral(*, referral: Referral, actor: User) -> Referral:
    """The referring side takes back a referral nobody has answered yet."""
    case, locked = _lock_referral(referral)
    require(
        locked.referred_by_organisation_id is not None
        and can_withdraw_referral(actor, case, locked.referred_by_organisation_id),
        case,
        "Only the organisation that made this referral can withdraw it.",
    )
    _require_pending(locked)
    locked.status = Referral.Status.WITHDRAWN
    locked.ended_at = timezone.now()
    why = f"Referral to {locked.organisation.name} withdrawn"
    attribute_change(locked, actor=actor, reason=why)
    locked.save(update_fields=["status", "ended_at"])
    _settle(case, actor, why)
    _tell(
        [locked.assignee]
        if locked.assignee
        else staff_with(locked.organisation_id, "referrals.respond_referral"),
        kind="referral.withdrawn",
        case=case,
        text=f"Referral withdrawn: case {case.number}",
    )
    return locked


# Services and follow-ups -------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceEntry:
    service_type: ServiceType
    provided_at: datetime
    duration_minutes: int | None = None
    notes: str = ""


def _lock_to_serve(case: Case, actor: User, what: str) -> Case:
    """The case locked, if the actor may work on it and it is in a state to take `what`."""
    locked = lock_case(case)
    require(can_change_case(actor, locked), locked, f"You cannot add {what} to this case.")
    if locked.status not in SERVICEABLE:
        raise ConflictError(f"No {what} on a case that is {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def log_service(*, case: Case, actor: User, entry: ServiceEntry) -> ServiceRecord:
    """Record a service the actor's organisation gave the victim."""
    locked = _lock_to_serve(case, actor, "services")
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


@transaction.atomic
def add_follow_up(*, case: Case, actor: User, entry: FollowUpEntry) -> FollowUp:
    """A task for later on this case, for the actor or a colleague in the same organisation."""
    locked = _lock_to_serve(case, actor, "follow-ups")
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
    )
    attribute_change(follow_up, actor=actor, reason=f"Follow-up set: {entry.kind.label}")
    follow_up.save()
    if entry.kind.code == APPOINTMENT:
        victim_milestone(case=locked, milestone="appointment", when=entry.due_at)
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


# Resolving ---------------------------------------------------------------------------------------


@transaction.atomic
def resolve_case(*, case: Case, actor: User, remark: str, follow_ups: str = "") -> Case:
    """A CSO finishes its part: its referral completes with a remark the helpline reads, and its
    open follow-ups are done or handed to the helpline (`follow_ups`, FollowUpsLeft: asked only
    when there are some). When no other organisation is still on the case, the case is resolved
    and its holder told to close it."""
    locked = lock_case(case)
    require(
        can_serve_case(actor, locked),
        locked,
        "Only an organisation serving the case can resolve it.",
    )
    if not remark.strip():
        raise ReferralError("Say what was done, for the helpline that closes the case.")
    if locked.status != S.IN_SERVICE:
        raise ConflictError(
            f"A case that is {locked.get_status_display().lower()} cannot be resolved."
        )
    organisation = organisation_of(actor)
    settle_follow_ups(locked, actor, follow_ups)
    now = timezone.now()
    why = f"{organisation.name} completed its work"
    for referral in locked.referrals.select_for_update().filter(
        organisation=organisation, status=Referral.Status.ACCEPTED
    ):
        referral.status, referral.ended_at = Referral.Status.COMPLETED, now
        attribute_change(referral, actor=actor, reason=why)
        referral.save(update_fields=["status", "ended_at"])
    write_note(
        case=locked, actor=actor, organisation=organisation, kind=CaseNote.Kind.RESOLUTION,
        shared=True, text=remark,
    )  # fmt: skip
    settled = _settle(locked, actor, why)
    if settled.status == S.RESOLVED:
        holders = [locked.claimed_by] if locked.claimed_by else []
        _tell(
            holders or staff_with(locked.helpline_id, "cases.supervise_case"),
            kind="case.resolved",
            case=locked,
            text=f"Case {locked.number} is resolved: check with the victim and close it",
        )
    return settled


@transaction.atomic
def send_back(
    *, case: Case, actor: User, remark: str, organisation: Organisation | None = None
) -> Case:
    """The helpline is not ready to close (the victim still needs help): the case goes back in
    service with the organisation that completed it last, or the one named, and says why."""
    locked = lock_case(case)
    require(can_work_case(actor, locked), locked, "Only the case's helpline can send it back.")
    if not remark.strip():
        raise ReferralError("Say why the case goes back, for the organisation that gets it.")
    if locked.status != S.RESOLVED:
        raise ConflictError(
            f"A case that is {locked.get_status_display().lower()} cannot be sent back."
        )
    completed = locked.referrals.select_for_update().filter(status=Referral.Status.COMPLETED)
    if organisation is not None:
        completed = completed.filter(organisation=organisation)
    referral = completed.order_by("-ended_at", "-pk").first()
    if referral is None:
        raise ReferralError("That organisation has not worked on this case.")
    referral.status, referral.ended_at = Referral.Status.ACCEPTED, None
    why = f"Sent back to {referral.organisation.name}"
    attribute_change(referral, actor=actor, reason=why)
    referral.save(update_fields=["status", "ended_at"])
    write_note(
        case=locked, actor=actor, organisation=organisation_of(actor), kind=CaseNote.Kind.SENT_BACK,
        shared=True, text=remark,
    )  # fmt: skip
    moved = move_case(case=locked, to=S.IN_SERVICE, actor=actor, reason=why, action="send_back")
    _tell(
        [referral.assignee] if referral.assignee else [],
        kind="case.sent_back",
        case=locked,
        text=f"Case {locked.number} was sent back to you",
    )
    return moved


# Scheduled ---------------------------------------------------------------------------------------


def flag_overdue_referrals(*, now: datetime | None = None) -> int:
    """Tell the referrer and their helpline's supervisors about each pending referral past its
    deadline, once. Returns how many were flagged. Rows another run holds are skipped."""
    now = now or timezone.now()
    flagged = 0
    while True:
        with transaction.atomic():
            referral = (
                Referral.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("case", "organisation", "referred_by")
                .filter(status=Referral.Status.PENDING, deadline__lt=now, escalated_at=None)
                .order_by("deadline")
                .first()
            )
            if referral is None:
                return flagged
            referral.escalated_at = now
            attribute_change(referral, actor=None, reason="Not answered by its deadline")
            referral.save(update_fields=["escalated_at"])
            case = referral.case
            _tell(
                [referral.referred_by, *staff_with(case.helpline_id, "cases.supervise_case")],
                kind="referral.overdue",
                case=case,
                text=f"Referral of {case.number} to {referral.organisation.name} not answered in time",
            )
            flagged += 1


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
            _tell(
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
