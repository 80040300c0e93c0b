from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_otp import user_has_device

from accounts.access import access_mark


class StaffOnlyMiddleware:
    """Deny by default: a view is reachable only with a password and a verified OTP device, unless it
    is marked public or part of the enrolment step (accounts.access)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], *args: object
    ) -> HttpResponse | None:
        mark = access_mark(view)
        if mark in ("public", "api"):
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.is_verified() or mark == "password_step":  # type: ignore[union-attr]
            return None
        if not user_has_device(user):
            return redirect("two_factor:setup")  # first login: enrol a device before anything
        # A password-only session of a user with a device never comes from our login; end it.
        logout(request)
        return redirect_to_login(request.get_full_path())


# Where the session keeps its clocks (read by the helpline socket's re-checks too).
SESSION_STARTED_KEY = "lantern_started"
SESSION_LAST_SEEN_KEY = "lantern_last_seen"


class SessionLimitsMiddleware:
    """Ends a staff session after SESSION_IDLE_SECONDS without a request, or SESSION_COOKIE_AGE
    after sign-in however active it was (ASVS 7.3.1/7.3.2)."""

    # Refresh the idle clock at most this often, rather than writing the session on every request.
    TOUCH_EVERY = 30

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault(SESSION_STARTED_KEY, now)
            last_seen = session.get(SESSION_LAST_SEEN_KEY, now)
            if (
                now - last_seen > settings.SESSION_IDLE_SECONDS
                or now - started > settings.SESSION_COOKIE_AGE
            ):
                logout(request)
                return redirect_to_login(request.get_full_path())
            if now - last_seen >= self.TOUCH_EVERY or SESSION_LAST_SEEN_KEY not in session:
                session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)
