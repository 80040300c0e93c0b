"""Resolving: a CSO finishes its part (its referral completes, its open follow-ups are settled, and
the case is resolved once no other organisation is on it), or the helpline sends a resolved case
back into service. Each write locks the case, checks the access policy and the state machine, and
leaves history with who and why."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.selectors import staff_with
from cases import events
from cases.models import Case, CaseNote
from cases.moves import lock_case, move_case, organisation_of, require, write_note
from cases.policy import can_serve_case, can_work_case
from cases.workflow import check_action
from project.history import attribute_change
from referrals.casework import ReferralError, settle, tell
from referrals.follow_ups import settle_follow_ups
from referrals.models import Referral

S = Case.Status


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
    check_action(locked.status, "resolve")
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
    settled = settle(locked, actor, why)
    if settled.status == S.RESOLVED:
        holders = [locked.claimed_by] if locked.claimed_by else []
        tell(
            holders or staff_with(locked.helpline_id, "cases.supervise_case"),
            kind="case.resolved",
            case=locked,
            text=f"Case {locked.number} is resolved: check with the victim and close it",
        )
        events.case_event(case=settled, event=events.CASE_RESOLVED, actor=actor)
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
    check_action(locked.status, "send_back")
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
    tell(
        [referral.assignee] if referral.assignee else [],
        kind="case.sent_back",
        case=locked,
        text=f"Case {locked.number} was sent back to you",
    )
    return moved
