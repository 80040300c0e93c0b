"""Sections the apps above cases add to the case page (the victim portal's, for one), without
cases importing them: an app registers a panel in its AppConfig.ready, and the case page renders
each whose context function gives it something to show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    # (request, case) -> the template's context, or None when this user sees nothing of it
    context: Callable[[HttpRequest, Any], dict[str, Any] | None]


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _PANELS[panel.name] = panel


def panels_for(request: HttpRequest, case: Any) -> list[tuple[str, dict[str, Any]]]:
    """(template, context) of each panel shown to this user on this case, in registration order."""
    shown = []
    for panel in _PANELS.values():
        context = panel.context(request, case)
        if context is not None:
            shown.append((panel.template, context))
    return shown
