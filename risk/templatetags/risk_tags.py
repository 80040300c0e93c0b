"""The case page's and the case file's risk box read their data here: cases sits below risk and
its views cannot ask for it, so templates/cases/_risk.html loads it through this tag."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import template

from cases.models import Case
from cases.policy import can_assess_risk
from risk import selectors
from risk.models import Answer, Assessment

register = template.Library()


@dataclass
class RiskBox:
    latest: Assessment | None = None
    earlier: list[Assessment] = field(default_factory=list)
    may_assess: bool = False
    full: bool = False  # answers, notes and reasons: only for those who see identities
    yes_to: list[str] = field(default_factory=list)  # the latest's questions answered yes


@register.simple_tag(takes_context=True)
def case_risk(context: Any, case: Case) -> RiskBox:
    """The case's assessments for the user viewing it (who reached the case through the policy)."""
    user = context["request"].user
    assessments = list(selectors.list_assessments(case))
    box = RiskBox(
        latest=assessments[0] if assessments else None,
        earlier=assessments[1:],
        may_assess=can_assess_risk(user, case),
        full=selectors.reads_answers(user),
    )
    if box.latest is not None and box.full:
        box.yes_to = [
            q.text for q, answer in selectors.answered(box.latest) if answer == Answer.YES
        ]
    return box
