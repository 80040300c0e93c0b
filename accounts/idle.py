"""The warning before an idle sign-out (UX.md 47, WCAG 2.2.1). The server's limits stay the rule
(accounts.middleware.SessionLimitsMiddleware); the page only learns how long it has left
(`session_clock`, data attributes on <body> read by static/js/idle.js) and "Stay signed in"
posts to `keepalive`, which starts the idle clock again. Nothing can stretch the absolute limit."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.middleware import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY, SessionLimitsMiddleware


def session_clock(request: HttpRequest) -> dict[str, int]:
    """Seconds this session has before the idle sign-out and before its absolute end, and how
    late the server may note a request (SessionLimitsMiddleware.TOUCH_EVERY): the page counts
    from the earliest the server could think it was last seen."""
    now = time.time()
    session = request.session
    last_seen = session.get(SESSION_LAST_SEEN_KEY, now)
    started = session.get(SESSION_STARTED_KEY, now)
    return {
        "idle_seconds": settings.SESSION_IDLE_SECONDS,
        "idle_left": max(0, int(settings.SESSION_IDLE_SECONDS - (now - last_seen))),
        "ends_in": max(0, int(settings.SESSION_COOKIE_AGE - (now - started))),
        "touch_every": SessionLimitsMiddleware.TOUCH_EVERY,
    }


@never_cache
@require_POST
def keepalive(request: HttpRequest) -> JsonResponse:
    """ "Stay signed in": the session is seen now (a session already over its limits never gets
    here: the middleware has signed it out)."""
    request.session[SESSION_LAST_SEEN_KEY] = time.time()
    return JsonResponse(session_clock(request))
