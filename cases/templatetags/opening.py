"""`{% may_open_case as may_open %}`: whether the user may open a case by hand (cases.policy), for
the "New case" button on the console and the case list."""

from __future__ import annotations

from django import template

from cases.policy import can_open_case

register = template.Library()


@register.simple_tag(takes_context=True)
def may_open_case(context: template.Context) -> bool:
    request = context.get("request")
    return request is not None and can_open_case(request.user)
