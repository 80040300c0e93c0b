"""When the database cannot be reached, say so at once (SECURITY AV-04, C-4).

A request that cannot get a database connection (PostgreSQL down or restarting, the pool empty for
longer than DB_POOL_TIMEOUT) is answered 503 with Retry-After, never a 500 after a long wait: a
load balancer or Twilio retries a 503, and a person is told to try again in a minute. The time it
takes is bounded by the settings (`connect_timeout`, the pool's `timeout`), not here.

The public form catches the same errors itself (intake.web) so the reporter keeps what they wrote.
"""

from __future__ import annotations

import logging
import sys

from django.core.signals import got_request_exception
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.cache import add_never_cache_headers

from project.middleware import AnswerMiddleware

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 60
MESSAGE = "Lantern cannot reach its database just now. Please try again in a minute."
_MARK = "_lantern_database_unavailable"


def database_unavailable(exc: BaseException | None) -> bool:
    """Django wraps the driver's errors, the pool's timeout included, as OperationalError: the
    database could not be reached or dropped the connection (not a wrong query)."""
    return isinstance(exc, OperationalError)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """Plain, without templates or sessions: both may need the database that is missing."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def _mark_request(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    """Django turns an exception in any middleware into a 500 on the spot and sends this signal
    from inside the `except`: the error is noted on the request, and the middleware below
    answers 503 instead of the 500 on the way out."""
    if request is not None and database_unavailable(sys.exc_info()[1]):
        setattr(request, _MARK, True)


got_request_exception.connect(_mark_request, dispatch_uid="lantern.database_unavailable")


class DatabaseUnavailableMiddleware(AnswerMiddleware):
    """Near the top of MIDDLEWARE, so errors from the session and auth middleware are caught too.
    An error can get this far as an exception when a `got_request_exception` receiver
    (django-structlog's reads request.user) hits the missing database itself."""

    catches = (OperationalError,)

    def caught(self, request: HttpRequest, exc: Exception) -> HttpResponseBase:
        return self._unavailable(request, exc)

    def answer(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        return self._answer(request, response)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if database_unavailable(exc):
            return self._unavailable(request, exc)
        return None

    def _answer(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.status_code == 500 and getattr(request, _MARK, False):
            return self._unavailable(request, None)
        return response

    @staticmethod
    def _unavailable(request: HttpRequest, exc: Exception | None) -> HttpResponse:
        logger.warning(
            "database_unavailable", extra={"error": type(exc).__name__ if exc else "in middleware"}
        )
        return unavailable_response(request)
