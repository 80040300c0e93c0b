from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from cases.contact import ContactLine, contact_lines

register = template.Library()


@register.filter(name="contact_lines")
def contact_lines_filter(prefs: Mapping[str, Any] | None) -> list[ContactLine]:
    return contact_lines(prefs)
