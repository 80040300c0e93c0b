"""What staff show the victim in the portal (portal.progress reads it): that an organisation is
helping them (Referral.shared_with_victim). Nothing is shown unless someone chose to: a victim
may not know, or want others to learn, who a case was referred to. Follow-ups meant for the victim
are marked when set (referrals.service_log.add_follow_up)."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from cases.moves import lock_case, require
from cases.policy import can_change_case
from project.history import attribute_change
from referrals.casework import ReferralError
from referrals.models import Referral


@transaction.atomic
def share_referral_with_victim(*, referral: Referral, actor: User, shown: bool) -> Referral:
    """Show (or stop showing) the victim, in the portal, that the referral's organisation is
    helping them. Whoever may change the case may; only a live referral can be shown. Locks the
    case, then the referral, like every referral write."""
    case = lock_case(referral.case)
    require(can_change_case(actor, case), case, "You cannot change what the victim is shown.")
    locked = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=referral.pk)
    )
    if shown and not locked.is_live:
        raise ReferralError(
            f"The referral to {locked.organisation.name} has ended: it cannot be shown to the "
            "victim as helping them."
        )
    if locked.shared_with_victim == shown:
        return locked
    locked.shared_with_victim = shown
    reason = (
        f"Shown to the victim in the portal: {locked.organisation.name} is helping"
        if shown
        else f"No longer shown to the victim in the portal: {locked.organisation.name}"
    )
    attribute_change(locked, actor=actor, reason=reason)
    locked.save(update_fields=["shared_with_victim"])
    return locked
