"""Inviting a victim to the portal: by itself when their case is verified and they said yes to
"Let me follow my report online", or by a member of staff from the case page (invite again, or
again after access was revoked). Either way the case's one PortalAccess is made (or opened again)
and the neutral invitation (update type `portal_invitation`, with the case reference) goes through
the outbox in the same transaction: the safe-contact function decides whether it may go, and a
refused one is kept as not sent with the reason, which the case page's portal panel shows."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases import events
from cases.models import Case
from cases.workflow import CaseError, ConflictError
from notifications.models import Notification
from notifications.victim_messages import victim_of
from portal.models import PortalAccess, UpdateType
from portal.notices import send_notice
from portal.rules import accepted, may_sign_in
from project.history import attribute_change

INVITATION = "portal_invitation"
KIND = f"victim.{INVITATION}"


def on_case_event(sender: Any, *, case: Any, event: str, **kwargs: Any) -> None:
    """cases.signals.case_event, in the verifying transaction: a verified case whose victim said
    yes gets its access and its invitation; a rollback takes both back. Only the first time: a
    case verified again (reopened) keeps the access it has, and staff send again by hand."""
    if event != events.CASE_TAKEN_ON or kwargs.get("source", events.CASE) != events.CASE:
        return
    if not accepted(case) or PortalAccess.objects.filter(case=case).exists():
        return
    access = PortalAccess(case=case)
    # Nobody pressed anything: the verification invited them (invited_by stays empty).
    attribute_change(
        access, actor=kwargs.get("actor"), reason="Invited to the portal at verification"
    )
    access.save()
    _send(access, sent_by=None)


@transaction.atomic
def invite(case: Case, actor: AbstractBaseUser) -> Notification | None:
    """A member of staff who may change the case invites its victim (again): the access is made,
    or opened again after it was revoked, and the invitation sent anew. Refused when the victim
    has not said yes, or the case no longer lets anyone sign in (closed past the grace period,
    discarded, merged)."""
    from cases.moves import lock_case, require
    from cases.policy import can_change_case

    locked = lock_case(case)
    require(can_change_case(actor, locked), locked, "You cannot invite this case's victim.")
    if victim_of(locked) is None:
        raise CaseError("This case has no victim to invite.")
    if not accepted(locked):
        raise CaseError(
            "The victim has not said yes to following their report online. Ask them first, "
            "then record their answer in Change details."
        )
    access = PortalAccess.objects.select_for_update().filter(case=locked).first()
    if access is None:
        access = PortalAccess(case=locked, invited_by=actor)
        attribute_change(access, actor=actor, reason="Invited to the portal")
    elif access.status == PortalAccess.Status.REVOKED:
        access.status = PortalAccess.Status.ACTIVE
        access.revoked_at = access.revoked_by = None
        access.invited_at, access.invited_by = timezone.now(), actor
        attribute_change(access, actor=actor, reason="Invited to the portal again after revoking")
    else:
        access.invited_by = access.invited_by or actor
        attribute_change(access, actor=actor, reason="Invitation to the portal sent again")
    access.case = locked
    if not may_sign_in(access):
        raise ConflictError("This case's portal has ended: nobody can sign in to it now.")
    access.save()
    return _send(access, sent_by=actor)


def _send(access: PortalAccess, *, sent_by: AbstractBaseUser | None) -> Notification | None:
    """Queue the invitation (or keep it as not sent, with the reason) and count it. None when
    admins switched the invitation's words off or left no words for it to send."""
    update_type = UpdateType.objects.filter(code=INVITATION, is_active=True).first()
    if update_type is None:
        return None
    row = send_notice(
        case=access.case,
        update_type=update_type,
        automated=False,
        values={"reference": access.case.number},
        sent_by=sent_by,
    )
    if row is not None:
        # A counter, not a change anyone decided: no history row for it.
        PortalAccess.objects.filter(pk=access.pk).update(invitations_sent=F("invitations_sent") + 1)
        access.refresh_from_db(fields=["invitations_sent"])
    return row


def latest_invitation(case: Case) -> Notification | None:
    """The last invitation written for the case (sent, held or kept as not sent)."""
    return Notification.objects.filter(case=case, kind=KIND).order_by("-created_at", "-pk").first()
