"""`{% state_switch %}`: the operator's state switch in the header (templates/base.html), for
helpline operators and supervisors only. Timestamps go out as data- attributes in milliseconds,
with the server's own clock, so the wrap-up timer never trusts the browser's clock (UX.md 7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils import timezone

from live import presence

register = template.Library()

ACTIVITY = {"call": "on a call", "chat": "in a chat"}


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def _clock(seconds: int) -> str:
    minutes, seconds = divmod(max(0, seconds), 60)
    return f"{minutes:02d}:{seconds:02d}"


def switch_context(
    request: HttpRequest, *, said: str = "", refused: bool = False
) -> dict[str, Any]:
    user = request.user
    now = timezone.now()
    row, state = presence.own_state(user, now=now)  # type: ignore[arg-type]
    until = row.until if row is not None and state == presence.State.WRAP_UP else None
    activity = row.activity if row is not None and state in ("busy", "wrap_up") else ""
    return {
        "request": request,
        "user": user,
        "state": state,
        "label": presence.State(state).label,
        "activity": ACTIVITY.get(activity, ""),
        "now_ms": _ms(now),
        "until_ms": _ms(until),
        "left": _clock(int((until - now).total_seconds())) if until else "",
        "said": said,
        "refused": refused,
    }


@register.inclusion_tag("live/_state_switch.html", takes_context=True)
def state_switch(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    extra = switch_context(request)
    extra["csrf_token"] = context.get("csrf_token")
    return extra


@register.simple_tag(takes_context=True)
def has_state_switch(context: template.Context) -> bool:
    return presence.has_switch(context["request"].user)
