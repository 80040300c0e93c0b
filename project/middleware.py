"""What every answer and every socket gets, whichever view or consumer serves it.

- `NoStoreMiddleware` (Django): nothing Lantern answers is kept by a browser or a proxy, case
  pages and /api/v1/ included (SECURITY DP-06, ASVS 14.2.2/14.3.2): on a shared phone or office
  computer the back button and the disk cache must not show a case to the next person. Static files
  are served by WhiteNoise before this runs and keep their long cache.
- `PublicOriginOnly` (ASGI): a WebSocket is opened only from PUBLIC_BASE_URL itself, scheme, host
  and port (ASVS 4.4.2); any page can open a socket that carries our cookies, and
  `AllowedHostsOriginValidator` compares host names only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers


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
