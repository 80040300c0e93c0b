"""Words for deadlines: "Overdue by 3 h" is read, not worked out from two timestamps."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def overdue_by(deadline: datetime | None) -> str:
    """How long ago the deadline passed: "25 min" under an hour, then whole hours ("3 h")."""
    if deadline is None:
        return ""
    minutes = max(1, int((timezone.now() - deadline).total_seconds() // 60))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h"
