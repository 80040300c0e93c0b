"""Structured logs that never carry victim data (DESIGN rule 9).

Log events name ids and outcomes, never content. As a second line of defence, before any line is
written (structlog's, Django's, Celery's, daphne's): keys that usually hold personal data are
replaced, a request path is logged as its URL pattern with ids only (no token, nothing typed, no
query string), and phone numbers, email addresses and query strings are scrubbed from the text,
tracebacks included (which never show local variables). With daphne's own access log off
(`-v 0`), django-structlog's request lines are the access log."""

from __future__ import annotations

import logging
import re
import uuid

import structlog
from django.conf import settings
from django.urls import Resolver404, resolve

REDACTED_KEYS = frozenset(
    {
        "body",
        "from",
        "from_",
        "to",
        "phone",
        "name",
        "address",
        "email",
        "ip",
        "ip_address",
        "password",
        "token",
        "otp_token",
        "description",
        "notes",
        "transcription",
        "narrative",
    }
)


# URL parts kept in a logged path: ids, never anything a person typed. A value that is not one of
# these (a token, a phone number typed where a case number goes) is logged as its parameter name.
_ID = re.compile(r"\d{1,9}")
_CASE_NUMBER = re.compile(r"[A-Z]{1,10}-\d{4}-\d{1,9}")
_TOKEN_PARTS = frozenset({"uidb64", "token", "key", "signature", "signed"})
# Last line of defence inside any logged text: a phone number (digit runs of 10 or more, the
# longest of ids stays shorter), an email address, a query string after a path.
_PHONE = re.compile(r"(?<![\w.-])\+?\d[\d ]{8,18}\d(?![\w.-])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
# A request's repr in a server's own line ("<WebRequest ... uri=/path?query ...>", "path='/...'").
_URI_IN_TEXT = re.compile(r"((?:uri|path)=b?['\"]?)(/[^\s'\">]*)")


def _safe_value(name: str, value: object) -> str:
    text = str(value)
    if name in _TOKEN_PARTS:
        return f"<{name}>"
    if isinstance(value, uuid.UUID) or _ID.fullmatch(text) or _CASE_NUMBER.fullmatch(text):
        return text
    return f"<{name}>"


def safe_path(path: str) -> str:
    """The path as it may be logged: no query string, and every part of it the URL patterns name
    reduced to ids (case numbers, database ids); anything else by its parameter name, e.g.
    `/accounts/password/reset/<uidb64>/<token>/`. A path no pattern matches is not logged, and a
    pattern that is a regular expression is logged as written."""
    path = path.split("?", 1)[0]
    if path.startswith(settings.STATIC_URL):
        return settings.STATIC_URL + "..."  # assets; a mistyped name there is nobody's business
    try:
        match = resolve(path)
    except Resolver404:
        return "<unmatched>"
    except Exception:  # noqa: BLE001 - a log line must never fail, nor fall back to the raw path
        return "<unresolved>"
    # The pattern, not the path: a catch-all (the API's 404) names no parameter to reduce.
    logged = match.route
    for name, value in match.kwargs.items():
        part = rf"<(?:\w+:)?{re.escape(name)}>|\(\?P<{re.escape(name)}>[^)]*\)"
        safe = _safe_value(name, value)
        logged = re.sub(part, lambda _m, safe=safe: safe, logged)
    return "/" + logged.replace("^", "").replace("$", "")


def _scrub(text: str) -> str:
    text = _URI_IN_TEXT.sub(lambda m: m.group(1) + safe_path(m.group(2)), text)
    text = _QUERY.sub(r"\1?[redacted]", text)
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub("[number]", text)


def _foreign_message(record: logging.LogRecord, args: object) -> str:
    """A standard-library line, its arguments filled in. Django's and gunicorn's own lines name the
    request path in them ("%s: %s" with "Not Found" and the path, "Forbidden (%s): %s"): made safe first."""
    if isinstance(args, dict) and args:
        # logging's own way of passing one mapping, for "%(name)s" (Celery's task lines): `%`
        # with the mapping itself, as logging does; wrapped in a tuple it fails and drops them
        try:
            return str(record.msg) % args
        except (TypeError, ValueError, KeyError):
            return str(record.msg)
    if not isinstance(args, tuple) or not args:
        return str(record.msg)
    if record.name.startswith(("django", "gunicorn")):  # gunicorn's "Error handling request %s"
        args = tuple(safe_path(a) if isinstance(a, str) and a.startswith("/") else a for a in args)
    try:
        return str(record.msg) % args
    except (TypeError, ValueError):
        return str(record.msg)


def redact_personal_data(_logger: object, _method: str, event: dict) -> dict:
    for key in REDACTED_KEYS.intersection(event):
        event[key] = "[redacted]"
    record = event.get("_record")
    if isinstance(record, logging.LogRecord) and not event.get("_from_structlog"):
        event["event"] = _foreign_message(record, event.pop("positional_args", None))
    # django-structlog's request lines ("GET /path?query"): the access log, made safe.
    request = event.get("request")
    if isinstance(request, str):
        method, _, path = request.partition(" ")
        event["request"] = f"{method} {safe_path(path)}" if path else safe_path(method)
    for key, value in event.items():
        if isinstance(value, str) and key not in ("timestamp", "request"):
            event[key] = _scrub(value)
    return event


_shared = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso"),
    # Tracebacks as plain text, before the redaction so it reads them too; never with the local
    # variables a pretty traceback would show (a form, a request, a person).
    structlog.processors.format_exc_info,
    redact_personal_data,
]

structlog.configure(
    processors=[*_shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
    logger_factory=structlog.stdlib.LoggerFactory(),
    cache_logger_on_first_use=True,
)


def formatter() -> structlog.stdlib.ProcessorFormatter:
    """The one formatter for every log line, structlog's and the standard library's alike."""
    renderer = (
        structlog.processors.JSONRenderer()
        if settings.LOG_JSON
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        processor=renderer, foreign_pre_chain=_shared, pass_foreign_args=True
    )
