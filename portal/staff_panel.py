"""The victim portal's section on the case page (filled in by the access work)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cases.panels import Panel


def context(request: HttpRequest, case: Any) -> dict[str, Any] | None:
    return None


PANEL = Panel(name="portal", template="portal/staff/panel.html", context=context)
