"""/privacy/retention/: what retention removes in the next 30 days and the legal holds, for those
with privacy.manage_retention (supervisors, DPOs; others 403). Holds are placed and lifted here or
from a case's panel; a case or person the user cannot see is 404 (or a form error by number)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases.policy import visible_cases, visible_people
from cases.selectors import audit_listing, get_case_to_act_on
from privacy.holds import PERMISSION, HoldError, lift_hold, place_hold
from privacy.models import LegalHold
from privacy.retention import active_holds
from privacy.retention_due import due_cases, due_counts
from privacy.retention_forms import HoldForm, PlaceHoldForm

WITHIN_DAYS = 30


def _require(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _holds(user) -> list[LegalHold]:
    """Holds on a case or person this user may see."""
    visible = Q(case__in=visible_cases(user)) | Q(person__in=visible_people(user))
    return list(active_holds().filter(visible).select_related("case").order_by("-placed_at"))


def _page(request: HttpRequest, form: PlaceHoldForm, status: int = 200) -> HttpResponse:
    audit_listing(request.user, request, searched=False)
    holds = _holds(request.user)
    context = {
        "within": WITHIN_DAYS,
        "counts": due_counts(WITHIN_DAYS),
        "cases": due_cases(request.user, WITHIN_DAYS),
        "holds": holds,
        "form": form,
    }
    return render(request, "privacy/retention/page.html", context, status=status)


def _place_form(request: HttpRequest, data=None) -> PlaceHoldForm:
    user = request.user
    return PlaceHoldForm(data, cases=visible_cases(user), people=visible_people(user))


@never_cache
@require_GET
def retention_page(request: HttpRequest) -> HttpResponse:
    _require(request)
    return _page(request, _place_form(request))


@never_cache
@require_POST
def hold_place(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = _place_form(request, request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    try:
        place_hold(
            actor=request.user,
            reason=data["reason"],
            case=data.get("case"),
            person=data.get("person"),
        )
    except HoldError as exc:
        form.add_error(None, str(exc))
        return _page(request, form, status=400)
    messages.success(request, "Legal hold placed: retention removes nothing of it until lifted.")
    return redirect("privacy:retention")


@never_cache
@require_POST
def hold_lift(request: HttpRequest, hold_id: int) -> HttpResponse:
    _require(request)
    hold = next((hold for hold in _holds(request.user) if hold.pk == hold_id), None)
    if hold is None:
        raise Http404("No such hold.")
    form = HoldForm(request.POST)
    back = _case_back(hold.case) if request.POST.get("from_case") and hold.case_id else None
    if not form.is_valid():
        messages.error(request, "Say why the hold is lifted.")
    else:
        try:
            lift_hold(hold=hold, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, "Legal hold lifted: retention counts again.")
        except HoldError as exc:
            messages.error(request, str(exc))
    return back or redirect("privacy:retention")


def _case_back(case) -> HttpResponse:
    return redirect(f"{reverse('cases:detail', args=[case.number])}#retention")


@never_cache
@require_POST
def case_hold_place(request: HttpRequest, number: str) -> HttpResponse:
    """The case panel's "Place a legal hold"."""
    case = get_case_to_act_on(request.user, number)
    _require(request)
    form = HoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the case is put on legal hold.")
        return _case_back(case)
    try:
        place_hold(actor=request.user, reason=form.cleaned_data["reason"], case=case)
        messages.success(request, "Legal hold placed: retention removes nothing of this case.")
    except HoldError as exc:
        messages.error(request, str(exc))
    return _case_back(case)
