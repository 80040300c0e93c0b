"""Erasure pages (/privacy/erasure/): for data-protection officers only (privacy.manage_erasure;
anyone else 403). One officer asks; the request page shows another officer the effect on every
case BEFORE they approve or refuse, and deciding needs a fresh step-up code (the permission is
checked first, so nobody else is asked for one). Requests show the person's number, never a name."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.step_up import step_up_required
from cases.policy import visible_people
from people.selectors import access_person
from privacy import erasure
from privacy.erasure_forms import DecisionForm, ErasureRequestForm
from privacy.erasure_preview import erasure_preview
from privacy.models import ErasureRequest, Tombstone


def _require_officer(request: HttpRequest) -> None:
    if not request.user.has_perm(erasure.PERMISSION):
        raise PermissionDenied("Erasure is handled by data-protection officers.")


def _officer_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The permission first, then the rest (the step-up is asked only of officers)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        _require_officer(request)
        return view(request, *args, **kwargs)

    return wrapped


def _requests_for(user: object):  # type: ignore[no-untyped-def]
    """Requests about people this officer may see (an erased person keeps their case links)."""
    people = visible_people(user).values("pk")
    return ErasureRequest.objects.filter(person_id__in=people).select_related(
        "requested_by", "decided_by"
    )


@never_cache
@require_GET
def erasure_list(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    return render(request, "privacy/erasure/list.html", {"items": _requests_for(request.user)})


@never_cache
@require_http_methods(["GET", "POST"])
def erasure_new(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    initial = {"person_id": request.GET.get("person")} if request.GET.get("person") else None
    form = ErasureRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person = access_person(request.user, form.cleaned_data["person_id"], request=request)
            item = erasure.request_erasure(
                person=person,
                ground=form.cleaned_data["ground"],
                reasons=form.cleaned_data["reasons"],
                actor=request.user,
            )
        except Http404:
            form.add_error("person_id", "No person with that number is on a case you may see.")
        except erasure.ErasureError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Request {item.pk} recorded: another officer decides it.")
            return redirect("privacy:erasure-detail", item.pk)
    status = 400 if form.errors else 200
    return render(request, "privacy/erasure/new.html", {"form": form}, status=status)


def _page(request: HttpRequest, item: ErasureRequest, form: DecisionForm, status: int = 200):  # type: ignore[no-untyped-def]
    pending = item.status == ErasureRequest.Status.PENDING
    preview = None
    if pending:
        preview = erasure_preview(
            request.user, access_person(request.user, item.person_id, request=request)
        )
    context = {
        "item": item,
        "form": form,
        "preview": preview,
        "pending": pending,
        "can_decide": pending and item.requested_by_id != request.user.pk,
        "erased": item.status == ErasureRequest.Status.DONE
        and Tombstone.objects.filter(person_id=item.person_id).exists(),
    }
    return render(request, "privacy/erasure/detail.html", context, status=status)


@never_cache
@require_GET
@_officer_only
@step_up_required
def erasure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(_requests_for(request.user), pk=pk)
    return _page(request, item, DecisionForm())


@never_cache
@require_http_methods(["GET", "POST"])
@_officer_only
@step_up_required
def erasure_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(_requests_for(request.user), pk=pk)
    if request.method == "GET":  # back from the step-up page: a POST is never replayed
        return redirect("privacy:erasure-detail", item.pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            erasure.decide(
                request=item, approve=approve, actor=request.user, note=form.cleaned_data["note"]
            )
        except erasure.ErasureError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Request {item.pk} {'approved' if approve else 'refused'}.")
            return redirect("privacy:erasure-detail", item.pk)
    item.refresh_from_db()
    return _page(request, item, form, status=400)
