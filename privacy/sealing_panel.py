"""The seal on the case page (cases.panels): whether the case is sealed and who is named on it, for
anyone reading it; the seal's forms for its helpline's supervisors and DPOs; and, for someone
reading it by break-glass, until when."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from cases import sealing
from cases.models import BreakGlass, CaseSeal
from cases.panels import Panel
from cases.policy import can_manage_seal
from privacy.sealing_forms import NameForm, SealForm, UnnameForm, UnsealForm


def _context(request: HttpRequest, case: Any) -> dict[str, Any] | None:
    user = request.user
    manages = can_manage_seal(user, case)
    if not case.sealed and not manages:
        return None
    named = list(CaseSeal.objects.filter(case=case).select_related("user").order_by("added_at"))
    glass = (
        BreakGlass.objects.filter(case=case, user=user, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )
    context: dict[str, Any] = {"sealed": case.sealed, "named": named, "glass": glass}
    if manages:
        staff = sealing.nameable_staff(case)
        if case.sealed:
            named_ids = [row.user_id for row in named]
            context["name_form"] = NameForm(staff=staff.exclude(pk__in=named_ids))
            context["unname_form"] = UnnameForm()
            context["unseal_form"] = UnsealForm()
        else:
            context["seal_form"] = SealForm(staff=staff.exclude(pk=user.pk))
    return context


PANEL = Panel(name=__name__, template="privacy/sealing/panel.html", context=_context)
