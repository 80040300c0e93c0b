"""The live dashboard (UX.md 32-33): server-rendered tiles and tables of dashboards.live's figures.

The socket (/ws/dashboard/, dashboards.consumers) says when the figures changed; the page then asks
this view for its tiles again, so what a monitor sees is always what the server lets *them* see,
counted at the time each tile says. Without JavaScript the page is a snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import Organisation
from cases.policy import can_view_figures
from dashboards.live import live_figures
from dashboards.reports import shareable_only
from dashboards.suppression import SECONDARY, threshold


def _tiles(request: HttpRequest) -> dict[str, Any]:
    # 403 before anything is counted: operators, CSO staff and admins have no dashboard.
    if not can_view_figures(request.user):
        raise PermissionDenied
    figures = live_figures(request.user)
    waiting = figures["queue"]["oldest_waiting_seconds"]
    return {
        "figures": figures,
        "shared": shareable_only(request.user),  # suppressed by live_figures: say so on the page
        "threshold": threshold(),
        "withheld": SECONDARY,
        "updated_at": datetime.fromisoformat(figures["generated_at"]),
        "oldest_waiting": clock(waiting) if waiting is not None else None,
    }


def clock(seconds: int) -> str:
    """12:05, or 3:12:05 past an hour, or 2 d 3:12:05 past a day."""
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours or days else f"{minutes:02d}:{secs:02d}"
    return f"{days} d {text}" if days else text


@never_cache
@require_GET
def live(request: HttpRequest) -> HttpResponse:
    context = _tiles(request)
    organisation = request.user.organisation  # type: ignore[union-attr]
    monitors = organisation.kind == Organisation.Kind.MONITOR
    context["scope"] = "Every helpline" if monitors else organisation.name
    return render(request, "dashboards/live.html", context)


@never_cache
@require_GET
def tiles(request: HttpRequest) -> HttpResponse:
    """Just the tiles and tables, for the page to swap in when the socket says they changed."""
    return render(request, "dashboards/_tiles.html", _tiles(request))
