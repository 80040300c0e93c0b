"""Sign-in lock-out (SECURITY AUTH-02), on django-axes.

Two limits, both within the cool-off (AXES_COOLOFF_TIME):
- AXES_FAILURE_LIMIT failures for one username from one address: stops a guesser without
  locking out colleagues behind the same office address;
- AXES_USERNAME_FAILURE_LIMIT failures for one username from all addresses together: stops
  guessing spread over many addresses (or over forged ones).
An admin lifts both for their own staff at once (accounts.admin, "Unlock sign-in")."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest

security_log = logging.getLogger("lantern.security")


def attempted_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username a sign-in attempt is for, for django-axes: from the credentials passed to
    authenticate(), or from the two-factor login form's prefixed field before authentication."""
    if credentials and credentials.get("username"):
        return credentials["username"]
    return request.POST.get("auth-username") or None


def failures_for_username(username: str, request: HttpRequest | None = None) -> int:
    """Failed sign-ins for this username from any address within the cool-off."""
    attempts = AccessAttempt.objects.filter(
        username=username, attempt_time__gte=get_cool_off_threshold(request)
    )
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with the per-username cap added to its per-address one."""

    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        username = get_client_username(request, credentials)
        if not username:
            return False
        return failures_for_username(username, request) >= settings.AXES_USERNAME_FAILURE_LIMIT

    def user_login_failed(
        self, sender: object, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        username = get_client_username(request, credentials)
        if username and self.is_locked(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )


def log_lockout(sender: object, username: str | None = None, **kwargs: Any) -> None:
    """Every lock-out is a security log line (connected in accounts.apps): which account by id,
    never the address or the name typed (it may be someone's email or a mistyped password)."""
    security_log.warning("sign_in_locked", extra={"user_id": _user_id(username or "")})


def unlock(usernames: Iterable[str]) -> int:
    """Lift every lock-out of these usernames, from whatever address. Returns attempts removed."""
    deleted, _ = AccessAttempt.objects.filter(username__in=list(usernames)).delete()
    return deleted


def _user_id(username: str) -> int | None:
    from accounts.models import User

    return User.objects.filter(username=username).values_list("pk", flat=True).first()
