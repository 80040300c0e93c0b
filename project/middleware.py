"""What every answer and every socket gets, whichever view or consumer serves it.

- `NoStoreMiddleware` (Django): nothing Lantern answers is kept by a browser or a proxy, case
  pages and /api/v1/ included (SECURITY DP-06, ASVS 14.2.2/14.3.2): on a shared phone or office
  computer the back button and the disk cache must not show a case to the next person. Static files
  are served by WhiteNoise before this runs and keep their long cache.
- `WebhookPath` (Django): Twilio's webhooks take a short road past everything a signed-in person
  needs (sessions, CSRF, auth, OTP, messages, locale, CSP, htmx, history user, axes, staff-only
  checks); staff pages keep the whole stack.
- `PublicOriginOnly` (ASGI): a WebSocket is opened only from PUBLIC_BASE_URL itself, scheme, host
  and port (ASVS 4.4.2); any page can open a socket that carries our cookies, and
  `AllowedHostsOriginValidator` compares host names only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponseBase
from django.urls import resolve
from django.utils.cache import add_never_cache_headers
from django.utils.module_loading import import_string


class AnswerMiddleware:
    """A middleware that sees every answer (and may catch `catches`), in both worlds. Not Django's
    MiddlewareMixin: under ASGI that runs its hooks through sync_to_async, a thread hop per request
    on the webhook path."""

    sync_capable = True
    async_capable = True
    catches: tuple[type[Exception], ...] = ()

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if iscoroutinefunction(self):
            return self._acall(request)
        try:
            response = self.get_response(request)
        except self.catches as exc:
            return self.caught(request, exc)
        return self.answer(request, response)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        try:
            response = await self.get_response(request)
        except self.catches as exc:
            return self.caught(request, exc)
        return self.answer(request, response)

    def caught(self, request: HttpRequest, exc: Exception) -> HttpResponseBase:
        raise exc

    def answer(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        return response


class NoStoreMiddleware(AnswerMiddleware):
    def answer(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if "no-store" not in response.get("Cache-Control", ""):  # a view that said so stays as is
            add_never_cache_headers(response)  # no-store, no-cache, private, max-age=0, Expires
        return response


# Paths that are only ever called by a provider and checked by its signature (intake.adapters):
# no cookie, no session, no person signed in. Every view under them is `public` and CSRF-exempt.
WEBHOOK_PREFIXES = ("/intake/twilio/",)
# What a webhook still gets, in this order: the structured request log (ids, no personal data),
# the frame and cache headers every answer carries, and, right around the view, the database-down
# 503 (on the full stack its process_exception answers before Django renders a 500; here it
# catches the view's error itself). SecurityMiddleware and the client address come before
# WebhookPath in MIDDLEWARE, so they apply to both roads.
WEBHOOK_MIDDLEWARE = (
    "django_structlog.middlewares.RequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "project.middleware.NoStoreMiddleware",
    "project.faults.DatabaseUnavailableMiddleware",
)


def _view(request: HttpRequest) -> HttpResponseBase:
    """Resolve and call the view, as Django's handler does once every middleware has run (an
    unknown path raises Resolver404: a 404 answer)."""
    match = resolve(request.path_info)
    request.resolver_match = match
    return match.func(request, *match.args, **match.kwargs)


class WebhookPath:
    """Requests to WEBHOOK_PREFIXES go through WEBHOOK_MIDDLEWARE and their view; all others go
    on down MIDDLEWARE. A webhook answered this way sets no cookie and never touches a session:
    about half of its time on the full stack went to middleware it has no use for."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        handler: Callable[[HttpRequest], Any] = _view
        for path in reversed(WEBHOOK_MIDDLEWARE):
            handler = convert_exception_to_response(import_string(path)(handler))
        self.webhook = handler
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if iscoroutinefunction(self):
            return self._acall(request)
        if request.path_info.startswith(WEBHOOK_PREFIXES):
            return self.webhook(request)
        return self.get_response(request)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(WEBHOOK_PREFIXES):
            # under ASGI (make run, daphne) the sync road runs in a thread, as a sync view would
            return await sync_to_async(self.webhook)(request)
        return await self.get_response(request)


class PublicOriginOnly(OriginValidator):
    """Channels' validator with exactly one allowed origin, read when a socket opens. A missing,
    `null` or malformed Origin is refused like a foreign one."""

    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=[])

    def validate_origin(self, parsed_origin: Any) -> bool:
        try:
            return self.match_allowed_origin(parsed_origin, settings.PUBLIC_BASE_URL)
        except ValueError:  # a port that is not a number: urlparse raises on .port
            return False
