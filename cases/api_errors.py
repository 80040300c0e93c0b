"""The API's error rules (CONTRACT.md): 400 with field errors, 401, 404 for what a user may not see,
409 for a move the state machine forbids."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cases.workflow import CaseError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, CaseError):  # 400, or 403/409 as the error says
        return Response({"detail": str(exc), **exc.details}, status=exc.http_status)
    return drf_exception_handler(exc, context)
