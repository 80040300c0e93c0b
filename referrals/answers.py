"""Referrals between organisations: referring a case (with the victim's consent), the receiving
side accepting or declining, the referring side withdrawing, and flagging referrals nobody
answered by their deadline. Every write locks the case then the referral, checks the access
policy, leaves history with who and why, and moves the case only through cases.moves.move_case."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.selectors import staff_with
from cases import events
from cases.models import Case, CaseNote
from cases.moves import lock_case, move_case, organisation_of, require, write_note
from cases.policy import (
    can_refer,
    can_respond_to_referral,
    can_supervise_case,
    can_withdraw_referral,
)
from cases.targets import accept_hours
from cases.workflow import ConflictError, NotAllowedError, check_work
from project.history import attribute_change
from referrals.casework import ReferralError, settle, tell
from referrals.models import Referral

logger = logging.getLogger(__name__)

S = Case.Status


def _lock_referral(referral: Referral) -> tuple[Case, Referral]:
    """Lock the case first, then the referral: every writer takes them in that order."""
    case = lock_case(referral.case)
    locked = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("organisation", "referred_by_organisation", "assignee", "referred_by")
        .get(pk=referral.pk)
    )
    return case, locked


def acceptance_deadline(case: Case, start: datetime) -> datetime:
    hours = accept_hours()[case.priority]  # the admin's deadlines by priority (cases.targets)
    return start + timedelta(hours=hours)


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
    check_work(locked.status, "refer")
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
    tell(
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
        events.case_event(case=taken, event=events.REFERRAL_ACCEPTED, actor=actor)
    tell([locked.referred_by], kind="referral.accepted", case=case, text=f"{why}: {case.number}")
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
    settle(case, actor, why)
    tell([locked.referred_by], kind="referral.declined", case=case, text=f"{why}: {case.number}")
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
    settle(case, actor, why)
    tell(
        [locked.assignee]
        if locked.assignee
        else staff_with(locked.organisation_id, "referrals.respond_referral"),
        kind="referral.withdrawn",
        case=case,
        text=f"Referral withdrawn: case {case.number}",
    )
    return locked


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
            tell(
                [referral.referred_by, *staff_with(case.helpline_id, "cases.supervise_case")],
                kind="referral.overdue",
                case=case,
                text=f"Referral of {case.number} to {referral.organisation.name} not answered in time",
            )
            flagged += 1
