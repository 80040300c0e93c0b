"""Whether a portal access still lets its victim in: revoked by staff, the victim's "yes" taken
back, a discarded or merged case, or a closed one past the grace period (PORTAL_GRACE_DAYS) all
end it. Asked at sign-in and again
on every portal request, so access ends the moment one of these becomes true."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from cases.models import Case
from notifications.victim_messages import victim_of
from portal.models import PortalAccess

ENDED = {Case.Status.DISCARDED, Case.Status.MERGED}


def accepted(case: Case) -> bool:
    """Whether the case's victim said yes to following their report online (default no). Taking
    it back ends the access it opened, at once."""
    person = victim_of(case)
    prefs = (person.contact_preferences if person else None) or {}
    return prefs.get("portal") is True


def may_sign_in(access: PortalAccess, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    case = access.case
    if access.status != PortalAccess.Status.ACTIVE or case.status in ENDED:
        return False
    if not accepted(case):
        return False
    if case.closed_at is not None:
        return now <= case.closed_at + timedelta(days=settings.PORTAL_GRACE_DAYS)
    return True


def is_locked(access: PortalAccess, now: datetime | None = None) -> bool:
    return access.locked_until is not None and access.locked_until > (now or timezone.now())
