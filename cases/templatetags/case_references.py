"""`{% case_references case %}`: a case's references from other agencies on its page, with the forms
to add and take off one for those the policy lets change them (cases.policy.changeable_details)."""

from __future__ import annotations

from typing import Any

from django import template

from cases.models import Case, ReferenceType
from cases.policy import can_see_identities, changeable_details
from cases.reference_forms import AddReferenceForm

register = template.Library()


@register.inclusion_tag("cases/_references.html", takes_context=True)
def case_references(context: template.Context, case: Case) -> dict[str, Any]:
    user = context["request"].user
    may_change = "references" in changeable_details(user, case)
    return {
        "csrf_token": context.get("csrf_token"),
        "sprite": context.get("sprite"),  # the icons' sprite (referrals/base.html)
        "case": case,
        "shown": can_see_identities(user),
        "references": list(case.references.select_related("kind")),
        "may_change": may_change,
        "form": AddReferenceForm(applies_to=ReferenceType.Applies.CASE) if may_change else None,
    }
