"""`<body{% session_clock %}>`: how long a signed-in staff session has left, as data attributes
for static/js/idle.js (no inline script under the CSP); nothing for anyone else."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

from accounts.idle import session_clock as clock

register = template.Library()


@register.simple_tag(takes_context=True)
def session_clock(context: template.Context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return ""
    times = clock(request)
    return format_html(
        ' data-idle-seconds="{}" data-idle-left="{}" data-session-ends-in="{}"'
        ' data-idle-touch-every="{}" data-keepalive-url="{}"',
        times["idle_seconds"],
        times["idle_left"],
        times["ends_in"],
        times["touch_every"],
        reverse("keepalive"),
    )
