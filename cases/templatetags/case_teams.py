"""`{% may_move_team case as may_move %}`: whether the user may move the case to another team's
queue (cases.policy), for the "Move to another team" control on the case's details."""

from __future__ import annotations

from django import template

from cases.models import Case
from cases.policy import can_move_team

register = template.Library()


@register.simple_tag(takes_context=True)
def may_move_team(context: template.Context, case: Case) -> bool:
    request = context.get("request")
    return request is not None and can_move_team(request.user, case)
