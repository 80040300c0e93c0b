"""The risk assessment page: the questionnaire as one long accessible form (a fieldset per
section, a yes / no / don't know choice per question), autosaved as a server-side draft. Thin:
the service decides; a refusal shows the form again with what was typed and its status code
(400 fix and retry, 409 the case has moved on; 403 not yours to assess). Success returns to the
case, whose risk box says when a MARAC referral should be considered."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases.drafts import discard_draft
from cases.models import Case, RiskLevel
from cases.policy import can_assess_risk, can_see_identities
from cases.refusals import attempt
from cases.selectors import access_case, get_case_to_act_on
from risk import selectors, services
from risk.forms import AssessmentForm
from risk.models import Assessment


@never_cache
@require_http_methods(["GET", "POST"])
def assess(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    case = get_case_to_act_on(user, number)  # 404 first, whatever else is wrong
    try:
        questionnaire, questions = services.active_questionnaire()
    except services.NoQuestionnaireError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("cases:detail", args=[number]) + "#risk")
    form = AssessmentForm(request.POST or None, questions=questions)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            saved: list[Assessment] = []
            status = attempt(form, lambda: saved.append(_complete(case, user, form)))
            if not status:
                discard_draft(user, "risk", case)
                messages.success(request, _said(saved[0]))
                return redirect(reverse("cases:detail", args=[number]) + "#risk")
    # the page shows the case (its safe contact, its earlier assessments): an audited read
    case = access_case(user, number, request=request)
    if request.method == "GET" and not can_assess_risk(user, case):
        raise PermissionDenied
    context = {
        "case": case,
        "form": form,
        "questionnaire": questionnaire,
        "identities": can_see_identities(user),
        "latest": selectors.list_assessments(case).first(),
    }
    return render(request, "risk/assess.html", context, status=status)


def _complete(case: Case, user: Any, form: AssessmentForm) -> Assessment:
    return services.complete_assessment(
        case=case,
        actor=user,
        answers=form.answers(),
        professional_judgement=form.cleaned_data["professional_judgement"],
        judgement_reason=form.cleaned_data["judgement_reason"],
        notes=form.cleaned_data["notes"],
    )


def _said(assessment: Assessment) -> str:
    level = RiskLevel(assessment.level).label
    said = f"Risk assessed: {level.lower()} ({assessment.score} of {assessment.out_of})."
    if assessment.marac_prompt:
        said += " Consider a MARAC referral."
    return said
