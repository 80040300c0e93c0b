"""What staff do to a case's portal access from the case page: invite (or invite again, which
portal.invitations does), revoke and unlock. Each through the case access policy: whoever may
change the case (cases.policy.can_change_case), on a case they can see; each locks the case, so
two people pressing at once act one after the other, and leaves a history row with who and why.

Revoking is enough to end every session of the access at once: portal.session.current asks
portal.rules.may_sign_in on every request, and the sign-in step asks it too. Its unused codes are
ended as well, so nothing sent before the revoke can open it."""

from __future__ import annotations

import logging

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from cases.models import Case
from cases.workflow import CaseError, ConflictError
from portal.invitations import invite
from portal.models import PortalAccess, SignInCode
from portal.rules import is_locked
from project.history import attribute_change

__all__ = ["invite", "revoke_access", "unlock_access"]

security_log = logging.getLogger("lantern.security")
MAX_REASON = 500


def _locked_access(case: Case, actor: AbstractBaseUser, action: str) -> PortalAccess:
    from cases.moves import lock_case, require
    from cases.policy import can_change_case

    locked = lock_case(case)
    require(can_change_case(actor, locked), locked, f"You cannot {action} on this case.")
    access = PortalAccess.objects.select_for_update().filter(case=locked).first()
    if access is None:
        raise ConflictError("The victim has not been invited to the portal.")
    access.case = locked
    return access


@transaction.atomic
def revoke_access(*, case: Case, actor: AbstractBaseUser, reason: str) -> PortalAccess:
    """End the victim's portal access now: their open sessions end on their next request and no
    code signs in. Staff can invite them again later."""
    reason = " ".join(reason.split())
    if not reason:
        raise CaseError("Say why the portal access ends.")
    if len(reason) > MAX_REASON:
        raise CaseError(f"Write the reason in {MAX_REASON} characters or fewer.")
    access = _locked_access(case, actor, "revoke portal access")
    if access.status == PortalAccess.Status.REVOKED:
        raise ConflictError("The portal access was already revoked.")
    now = timezone.now()
    access.status = PortalAccess.Status.REVOKED
    access.revoked_at, access.revoked_by = now, actor
    attribute_change(access, actor=actor, reason=f"Portal access revoked: {reason}")
    access.save(update_fields=["status", "revoked_at", "revoked_by"])
    # SignInCode keeps no history: a plain update is the whole change.
    SignInCode.objects.filter(access=access, used_at=None, expires_at__gt=now).update(
        expires_at=now
    )
    security_log.info("portal_access_revoked", extra={"access_id": access.pk, "user_id": actor.pk})
    return access


@transaction.atomic
def unlock_access(*, case: Case, actor: AbstractBaseUser) -> PortalAccess:
    """Let the victim try codes again before the lock runs out (they rang and staff know it was
    them who mistyped). The count of wrong tries starts again."""
    access = _locked_access(case, actor, "unlock portal sign-in")
    if not is_locked(access):
        raise ConflictError("The portal sign-in is not locked.")
    access.locked_until = None
    access.failed_attempts = 0
    attribute_change(access, actor=actor, reason="Portal sign-in unlocked by staff")
    access.save(update_fields=["locked_until", "failed_attempts"])
    security_log.info("portal_access_unlocked", extra={"access_id": access.pk, "user_id": actor.pk})
    return access
