"""Structured logs that never carry victim data (DESIGN rule 9).

Log events name ids and outcomes, never content; as a second line of defence any key that usually
holds personal data is replaced before the line is written."""

from __future__ import annotations

import structlog
from django.conf import settings

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


def redact_personal_data(_logger: object, _method: str, event: dict) -> dict:
    for key in REDACTED_KEYS.intersection(event):
        event[key] = "[redacted]"
    # A query string can carry a searched name or phone number: log the path only.
    request = event.get("request")
    if isinstance(request, str) and "?" in request:
        event["request"] = request.split("?", 1)[0] + "?[redacted]"
    return event


_shared = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso"),
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
    return structlog.stdlib.ProcessorFormatter(processor=renderer, foreign_pre_chain=_shared)
