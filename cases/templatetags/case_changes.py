"""`{% changeable_details case as parts %}`: the details of the case this user may change now
(cases.policy), for the case page's "Change details" button."""

from __future__ import annotations

from django import template

from cases.models import Case
from cases.policy import changeable_details as policy_changeable_details

register = template.Library()


@register.simple_tag(takes_context=True)
def changeable_details(context: template.Context, case: Case) -> frozenset[str]:
    request = context.get("request")
    return policy_changeable_details(request.user, case) if request is not None else frozenset()
