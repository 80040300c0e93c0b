"""Duplicates and merging on the web (issue 12, UX item 5): the "Possibly the same person" panel (on
the case page and the verify page, loaded after the page by htmx so neither waits for it), the
merge confirmation page, a supervisor's unmerge and moving one report. Thin: each form calls one
service in cases.merging and goes back to the case, or shows why it was refused with its status."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases import merging
from cases.duplicates import likely_duplicates
from cases.models import Case
from cases.policy import can_merge, can_see_identities, can_unmerge, visible_cases
from cases.refusals import attempt
from cases.selectors import access_case, get_case_to_act_on

REASON_HELP = "Kept in both cases' history. Do not write names or phone numbers here."


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=REASON_HELP,
    )  # fmt: skip


class MergeForm(ReasonForm):
    into = forms.CharField(label="Merge into case number", max_length=32)
    field_order = ["into", "reason"]


class MoveReportForm(ReasonForm):
    to = forms.CharField(label="Move to case number", max_length=32)
    field_order = ["to", "reason"]


def _posted(request: HttpRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


def _other_case(request: HttpRequest, number: str) -> Case | None:
    """The other case named in a form, if the user may see it (None: the form says no such case,
    as a 404 would; never whether it exists)."""
    return visible_cases(request.user).filter(number=number.strip().upper()).first()


@never_cache
def duplicates(request: HttpRequest, number: str) -> HttpResponse:
    """Possibly the same person: the panel (for htmx) or a page of its own (without JavaScript)."""
    if not can_see_identities(request.user):
        raise Http404("No such case.")
    case = access_case(request.user, number, request=request, detail="duplicates")
    context = {
        "case": case,
        "loaded": True,
        "duplicates": [] if case.merged_into_id else likely_duplicates(request.user, case),
        "may_merge": can_merge(request.user, case),
        "may_unmerge": can_unmerge(request.user, case),
    }
    template = "cases/_duplicates.html" if request.htmx else "cases/duplicates.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@never_cache
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, number: str) -> HttpResponse:
    """Confirm a merge: what moves, what stays, and why (required)."""
    case = get_case_to_act_on(request.user, number)
    form = MergeForm(_posted(request), initial={"into": request.GET.get("into", "")})
    into_number = (form.data.get("into") if form.is_bound else form.initial["into"]) or ""
    into = _other_case(request, into_number) if into_number else None
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            if into is None:
                form.add_error("into", "No case with that number that you can see.")
            else:
                status = attempt(
                    form,
                    lambda: merging.merge_case(
                        case=case,
                        into=into,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    ),  # fmt: skip
                )
                if not status:
                    messages.success(request, f"{case.number} is merged into {into.number}.")
                    return redirect("cases:detail", number=into.number)
    preview = merging.merge_preview(case, into) if into is not None and into != case else None
    context = {
        "case": case, "into": into, "form": form, "preview": preview,
        "not_found": bool(into_number) and into is None and not form.is_bound,
    }  # fmt: skip
    return render(request, "cases/merge.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def unmerge(request: HttpRequest, number: str) -> HttpResponse:
    """Undo a merge (supervisors): what the merge moved goes back."""
    case = get_case_to_act_on(request.user, number)
    form = ReasonForm(_posted(request))
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            status = attempt(
                form,
                lambda: merging.unmerge_case(
                    case=case, actor=request.user, reason=form.cleaned_data["reason"]
                ),
            )
            if not status:
                messages.success(request, f"{case.number} is no longer merged.")
                return redirect("cases:detail", number=case.number)
    return render(request, "cases/unmerge.html", {"case": case, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def move_report(request: HttpRequest, number: str, report_id: int) -> HttpResponse:
    """Move one report to another case of the helpline (it was about someone else)."""
    case = get_case_to_act_on(request.user, number)
    report = case.reports.filter(pk=report_id).first()
    if report is None:
        raise Http404("No such report.")
    form = MoveReportForm(_posted(request))
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            to_case = _other_case(request, form.cleaned_data["to"])
            if to_case is None:
                form.add_error("to", "No case with that number that you can see.")
            else:
                status = attempt(
                    form,
                    lambda: merging.move_report(
                        report=report,
                        to_case=to_case,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    ),  # fmt: skip
                )
                if not status:
                    messages.success(request, f"The report is moved to {to_case.number}.")
                    return redirect("cases:detail", number=case.number)
    return render(
        request, "cases/move_report.html", {"case": case, "report": report, "form": form},
        status=status,
    )  # fmt: skip
