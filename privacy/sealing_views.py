"""Sealed cases' pages (SECURITY AC-06): breaking the glass on one, opening one by its number, the
seal's forms on the case page (privacy.sealing_panel) and the review queue. The writes are
cases.sealing's.

A sealed case the user may not read answers 404 everywhere, exactly as a number that does not
exist: it is in no list, search or queue. Someone whose role would reach it can still open it when
they were given its number, on "Open a sealed case" (/privacy/break-glass/open/) or at
/cases/<number>/break-glass/ directly; any number they may not break the glass on (none, another
helpline's, an unsealed one they cannot see) is the same 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.step_up import step_up_required
from cases import sealing
from cases.models import CaseSeal
from cases.policy import can_manage_seal, visible_cases
from cases.refusals import attempt
from cases.selectors import get_case_to_act_on
from privacy.sealing_forms import (
    BreakGlassForm,
    NameForm,
    OpenSealedForm,
    ReviewForm,
    SealForm,
    UnnameForm,
    UnsealForm,
)

TEMPLATES = "privacy/sealing/"


def _case_page(number: str) -> str:
    return reverse("cases:detail", args=[number])


def _break_glass_target(request: HttpRequest, number: str) -> object:
    """The sealed case the user may break the glass on, else 404 (the same as no case at all)."""
    case = sealing.sealed_case_for_break_glass(request.user, number)
    if case is None:
        raise Http404("No such case.")
    return case


@never_cache
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest, number: str) -> HttpResponse:
    """'This case is sealed. Say why you need to open it': after a fresh step-up, the reason opens
    the case for BREAK_GLASS_MINUTES. A case they already read goes straight to its page."""
    if visible_cases(request.user).filter(number=number).exists():
        return redirect(_case_page(number))
    return _break_glass_form(request, number, case=_break_glass_target(request, number))


@step_up_required
def _break_glass_form(request: HttpRequest, number: str, *, case: object) -> HttpResponse:
    form = BreakGlassForm(request.POST or None)
    status = 400 if form.is_bound else 200
    if form.is_valid():
        status = attempt(
            form,
            lambda: sealing.break_glass(
                case=case,
                user=request.user,
                reason=form.cleaned_data["reason"],
                ip_address=request.META.get("REMOTE_ADDR") or None,
            ),
        )
        if not status:
            return redirect(_case_page(number))
    return render(
        request,
        TEMPLATES + "break_glass.html",
        {"number": number, "form": form, "minutes": settings.BREAK_GLASS_MINUTES},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def open_sealed(request: HttpRequest) -> HttpResponse:
    """Type the number of a sealed case you were given; go on to its break-glass page (which is a
    404 for any number you may not open, so this page tells nothing either)."""
    if not request.user.has_perm("cases.view_case"):
        raise PermissionDenied
    form = OpenSealedForm(request.POST or None)
    if form.is_valid():
        return redirect("case-break-glass", number=form.cleaned_data["number"])
    status = 400 if form.is_bound else 200
    return render(request, TEMPLATES + "open.html", {"form": form}, status=status)


# The seal's forms on the case page ---------------------------------------------------------------


def _managed_case(request: HttpRequest, number: str) -> object:
    case = get_case_to_act_on(request.user, number)
    if not can_manage_seal(request.user, case):
        raise PermissionDenied
    return case


def _answer(
    request: HttpRequest, number: str, form: object, status: int, done: str
) -> HttpResponse:
    if not status:
        messages.success(request, done)
        return redirect(_case_page(number) + "#sealing")
    return render(
        request,
        TEMPLATES + "refused.html",
        {"number": number, "form": form, "back": _case_page(number) + "#sealing"},
        status=status,
    )


def _act(
    request: HttpRequest, number: str, form: Any, act: Callable[[dict[str, Any]], object], done: str
) -> HttpResponse:
    """A seal form's one shape: valid, then the service (its refusal tied to the form), then back
    to the case page, or the form again with what to fix (400, or the refusal's status)."""
    status = 400
    if form.is_valid():
        status = attempt(form, lambda: act(form.cleaned_data))
    return _answer(request, number, form, status, done)


@never_cache
@require_POST
def seal(request: HttpRequest, number: str) -> HttpResponse:
    case = _managed_case(request, number)
    form = SealForm(request.POST, staff=sealing.nameable_staff(case))
    return _act(
        request,
        number,
        form,
        lambda data: sealing.seal(
            case=case, named_users=data["named"], by=request.user, reason=data["reason"]
        ),
        "The case is sealed.",
    )


@never_cache
@require_POST
def unseal(request: HttpRequest, number: str) -> HttpResponse:
    case = _managed_case(request, number)
    return _act(
        request,
        number,
        UnsealForm(request.POST),
        lambda data: sealing.unseal(case=case, by=request.user, reason=data["reason"]),
        "The case is no longer sealed.",
    )


@never_cache
@require_POST
def name(request: HttpRequest, number: str) -> HttpResponse:
    case = _managed_case(request, number)
    form = NameForm(request.POST, staff=sealing.nameable_staff(case))
    return _act(
        request,
        number,
        form,
        lambda data: sealing.name(
            case=case, user=data["user"], by=request.user, reason=data["reason"]
        ),
        "Named on the sealed case.",
    )


@never_cache
@require_POST
def unname(request: HttpRequest, number: str, user_id: int) -> HttpResponse:
    case = _managed_case(request, number)
    named = get_object_or_404(CaseSeal, case=case, user_id=user_id)
    return _act(
        request,
        number,
        UnnameForm(request.POST),
        lambda data: sealing.unname(
            case=case, user=named.user, by=request.user, reason=data["reason"]
        ),
        "Taken off the sealed case.",
    )


# The review queue --------------------------------------------------------------------------------


def _reviewer(request: HttpRequest) -> User:
    if not request.user.has_perm("privacy.review_access"):
        raise PermissionDenied
    return request.user


@never_cache
def queue(request: HttpRequest) -> HttpResponse:
    """Break-glass grants of the reviewer's helpline waiting for review: who, which case, when and
    why. Their own are someone else's to review."""
    reviewer = _reviewer(request)
    grants = list(sealing.pending_reviews(reviewer))
    rows = [(grant, ReviewForm(prefix=f"grant-{grant.pk}")) for grant in grants]
    return render(request, TEMPLATES + "queue.html", {"rows": rows})


@never_cache
@require_POST
def review(request: HttpRequest, grant_id: int) -> HttpResponse:
    reviewer = _reviewer(request)
    grant = get_object_or_404(sealing.pending_reviews(reviewer), pk=grant_id)
    form = ReviewForm(request.POST, prefix=f"grant-{grant.pk}")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        status = attempt(
            form,
            lambda: sealing.review(
                grant=grant, outcome=data["outcome"], note=data["note"], by=reviewer
            ),
        )
        if not status:
            messages.success(request, f"Review of case {grant.case.number} saved.")
            return redirect("privacy:break-glass-queue")
    return render(
        request,
        TEMPLATES + "queue.html",
        {"rows": [(grant, form)], "one": True},
        status=status,
    )
