"""Retention's section on the case page (cases.panels): how long the case's content is kept, or
that it is on legal hold and why not; those with privacy.manage_retention place and lift the hold
here (privacy.retention_views)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest

from cases.panels import Panel
from privacy.holds import PERMISSION
from privacy.retention import active_holds
from privacy.retention_due import case_kept_until
from privacy.retention_forms import HoldForm


def context(request: HttpRequest, case: Any) -> dict[str, Any] | None:
    holds = list(
        active_holds()
        .filter(Q(case=case) | Q(person__cases__case=case))
        .distinct()
        .order_by("placed_at")
    )
    words, until = case_kept_until(case)
    may_manage = request.user.has_perm(PERMISSION)
    return {
        "words": words,
        "until": until,
        "case_hold": next((hold for hold in holds if hold.case_id), None),
        "person_holds": [hold for hold in holds if hold.person_id],
        "form": HoldForm() if may_manage else None,
    }


PANEL = Panel(name=__name__, template="privacy/retention/panel.html", context=context)
