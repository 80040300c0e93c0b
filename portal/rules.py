"""Whether a portal access still lets its victim in: revoked by staff, a discarded or merged case,
or a closed one past the grace period (PORTAL_GRACE_DAYS) all end it. Asked at sign-in and again
on every portal request, so access ends the moment one of these becomes true."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from cases.models import Case
from portal.models import PortalAccess

ENDED = {Case.Status.DISCARDED, Case.Status.MERGED}


def may_sign_in(access: PortalAccess, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    case = access.case
    if access.status != PortalAccess.Status.ACTIVE or case.status in ENDED:
        return False
    if case.closed_at is not None:
        return now <= case.closed_at + timedelta(days=settings.PORTAL_GRACE_DAYS)
    return True


def is_locked(access: PortalAccess, now: datetime | None = None) -> bool:
    return access.locked_until is not None and access.locked_until > (now or timezone.now())
