"""Other agencies' references on a case, from its page: add one, take one off (cases.references).
Each answers by going back to the case, or with the reason it was refused and its status code."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cases import references
from cases.models import ReferenceType
from cases.reference_forms import AddReferenceForm, RemoveReferenceForm
from cases.refusals import attempt
from cases.selectors import get_case_to_act_on


def _back(number: str) -> str:
    return reverse("cases:detail", args=[number]) + "#references"


def _refused(request: HttpRequest, number: str, form: object, status: int) -> HttpResponse:
    return render(
        request,
        "cases/reference_refused.html",
        {"number": number, "form": form, "back": _back(number)},
        status=status,
    )


@never_cache
@require_POST
def add_case_reference(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_to_act_on(request.user, number)
    form = AddReferenceForm(request.POST, applies_to=ReferenceType.Applies.CASE)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        status = attempt(
            form,
            lambda: references.add_reference(
                actor=request.user,
                case=case,
                kind=data["kind"],
                value=data["value"],
                issued_by=data["issued_by"],
                reason=data["reason"],
            ),  # fmt: skip
        )
        if not status:
            messages.success(request, "Reference added.")
            return redirect(_back(number))
    return _refused(request, number, form, status)


@never_cache
@require_POST
def remove_case_reference(request: HttpRequest, number: str, reference_id: int) -> HttpResponse:
    case = get_case_to_act_on(request.user, number)
    reference = get_object_or_404(case.references, pk=reference_id)
    form = RemoveReferenceForm(request.POST)
    status = 400
    if form.is_valid():
        status = attempt(
            form,
            lambda: references.remove_reference(
                actor=request.user, reference=reference, reason=form.cleaned_data["reason"]
            ),
        )
        if not status:
            messages.success(request, "Reference taken off; the history keeps it.")
            return redirect(_back(number))
    return _refused(request, number, form, status)
