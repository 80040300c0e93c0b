"""What every casework write shares: the refusal it makes for a reason the person can fix, the
in-app alert it sends through the outbox, and how the case settles when a referral ends."""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import User
from cases.models import Case
from cases.moves import move_case
from cases.workflow import CaseError
from notifications.services import notify_staff
from referrals.models import Referral

S = Case.Status


class ReferralError(CaseError):
    """A referral action refused for a reason the person acting can see and fix (400)."""


def tell(users: Iterable[User], *, kind: str, case: Case, text: str) -> None:
    """In-app alerts through the outbox: a case number and neutral words, never a victim's details."""
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    if recipients:
        notify_staff(users=recipients.values(), kind=kind, case_number=case.number, text=text)


def settle(case: Case, actor: User | None, why: str) -> Case:
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
