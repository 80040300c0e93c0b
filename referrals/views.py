"""Casework pages (UX.md 5a 20-26): every action on a case after triage (the workspace is
referrals.workspace): refer, answer a referral, log a service, set and finish follow-ups, write
notes, resolve, close, send back and reopen.

Thin: each view parses a form, makes one call into referrals.services or cases.services and
redirects with a message that names the case by number only. Every action is a plain POST form
that works without JavaScript. What a service refuses becomes an error on the page with its status
code (400 fix and retry, 409 the case has moved on), never a 500; NotAllowedError is a 403. Which
cases a user reaches is the access policy's (404 otherwise), through the selectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from cases import services as case_services
from cases.models import Case
from cases.policy import (
    can_change_case,
    can_refer,
    can_respond_to_referral,
    can_see_identities,
    can_serve_case,
    can_supervise_case,
    can_withdraw_referral,
    can_work_case,
)
from cases.refusals import attempt
from cases.selectors import access_case, get_case_to_act_on
from cases.workflow import CaseError, NotAllowedError
from referrals import follow_ups, selectors, services, sharing
from referrals.forms import (
    CloseForm,
    DeclineForm,
    FollowUpForm,
    NoteForm,
    ReferForm,
    ReopenForm,
    ResolveForm,
    SendBackForm,
    ServiceForm,
)

Save = Callable[[Case, Any], object]


def _case_form(
    request: HttpRequest,
    number: str,
    *,
    template: str,
    may: Callable[[User, Case], bool],
    make: Callable[[Case, QueryDict | None], forms.Form],
    save: Save,
    done: Callable[[Case], tuple[str, str]],
) -> HttpResponse:
    """A page with one form that changes a case. GET: the form, to those the policy lets do it
    (403 otherwise). POST: the service decides; success redirects with a message, anything else
    shows the form again with what was typed, the error summary and the status code."""
    user = request.user
    form = None
    status = 200
    if request.method == "POST":
        case = get_case_to_act_on(user, number)
        form = make(case, request.POST)
        status = attempt(form, lambda: save(case, form)) if form.is_valid() else 400
        if not status:
            message, url = done(case)
            messages.success(request, message)
            return redirect(url)
    # The page shows the case (safe contact, what the other side sees): an audited read.
    case = access_case(user, number, request=request)
    if form is None:
        if not may(user, case):
            raise PermissionDenied
        form = make(case, None)
    context = {
        "case": case,
        "form": form,
        "identities": can_see_identities(user),
        # the close page lists them: closing marks them done
        "open_follow_ups": [f for f in case.visible_follow_ups if f.done_at is None],  # type: ignore[attr-defined]
    }
    return render(request, template, context, status=status)


def _case_page(case: Case) -> str:
    return reverse("cases:detail", args=[case.number])


def _workspace(view: str = "") -> str:
    url = reverse("referrals:workspace")
    return f"{url}?view={view}" if view else url


def _one_click(
    request: HttpRequest, action: Callable[[], object], *, message: str, back: str
) -> HttpResponse:
    """A button with no form to fill (accept, withdraw, done): success goes back with a message;
    a refusal is a page saying why, with its status code (409 when already answered)."""
    try:
        action()
    except NotAllowedError as exc:
        raise PermissionDenied(str(exc)) from exc
    except CaseError as exc:
        return render(
            request,
            "referrals/refused.html",
            {"message": str(exc), "back": back},
            status=exc.http_status,
        )
    messages.success(request, message)
    return redirect(back)


# Referring and answering -------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def refer(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    return _case_form(
        request,
        number,
        template="referrals/refer.html",
        may=can_refer,
        make=lambda case, data: ReferForm(
            data, user=user, supervisor=can_supervise_case(user, case)
        ),
        save=lambda case, form: services.refer_case(case=case, actor=user, request=form.request()),
        done=lambda case: (f"Case {case.number} referred.", _case_page(case)),
    )


@never_cache
@require_POST
def accept(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = selectors.get_referral_to_act_on(request.user, referral_id)
    return _one_click(
        request,
        lambda: services.accept_referral(referral=referral, actor=request.user),
        message=f"You accepted case {referral.case.number}.",
        back=_case_page(referral.case),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def decline(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = selectors.get_referral_to_act_on(request.user, referral_id)
    if not can_respond_to_referral(request.user, referral.organisation_id):
        raise PermissionDenied
    form = DeclineForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            status = attempt(
                form,
                lambda: services.decline_referral(
                    referral=referral, actor=request.user, reason=reason
                ),
            )
            if not status:
                # Declining ends the organisation's access: back to its list, not to the case.
                messages.success(request, f"You declined case {referral.case.number}.")
                return redirect(_workspace())
    return render(
        request, "referrals/decline.html", {"referral": referral, "form": form}, status=status
    )


@never_cache
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, referral_id: int) -> HttpResponse:
    """An "Are you sure?" page first (the case page's link lands here), then the withdrawal."""
    referral = selectors.get_referral_to_act_on(request.user, referral_id)
    case = referral.case
    if referral.referred_by_organisation_id is None or not can_withdraw_referral(
        request.user, case, referral.referred_by_organisation_id
    ):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        return _one_click(
            request,
            lambda: services.withdraw_referral(referral=referral, actor=request.user),
            message=f"Referral of case {case.number} withdrawn.",
            back=_case_page(case),
        )
    return render(request, "referrals/withdraw_confirm.html", {"referral": referral})


@never_cache
@require_POST
def show_to_victim(request: HttpRequest, referral_id: int) -> HttpResponse:
    """The referral row's toggle: show (or stop showing) the victim, in the portal, that the
    organisation is helping them."""
    referral = selectors.get_referral_to_act_on(request.user, referral_id)
    shown = request.POST.get("shown") == "yes"
    name = referral.organisation.name
    return _one_click(
        request,
        lambda: sharing.share_referral_with_victim(
            referral=referral, actor=request.user, shown=shown
        ),
        message=(
            f"The victim now sees that {name} is helping (case {referral.case.number})."
            if shown
            else f"The victim no longer sees {name} (case {referral.case.number})."
        ),
        back=f"{_case_page(referral.case)}#referral-{referral.pk}",
    )


# Services, follow-ups, notes ---------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def log_service(request: HttpRequest, number: str) -> HttpResponse:
    """A quick button on the case page opens this with ?type=<code> chosen and the time set to
    now: one tap more (Save) logs it."""
    user = request.user
    chosen = {"service_type": request.GET["type"]} if request.GET.get("type") else {}
    return _case_form(
        request,
        number,
        template="referrals/service.html",
        may=can_change_case,
        make=lambda case, data: ServiceForm(data, initial=dict(chosen)),
        save=lambda case, form: services.log_service(case=case, actor=user, entry=form.entry()),
        done=lambda case: (f"Service logged on case {case.number}.", _case_page(case)),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def add_follow_up(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    return _case_form(
        request,
        number,
        template="referrals/follow_up.html",
        may=can_change_case,
        make=lambda case, data: FollowUpForm(data, user=user),
        save=lambda case, form: services.add_follow_up(case=case, actor=user, entry=form.entry()),
        done=lambda case: (f"Follow-up set on case {case.number}.", _case_page(case)),
    )


@never_cache
@require_POST
def follow_up_done(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    follow_up = selectors.get_follow_up_to_act_on(request.user, follow_up_id)
    case = follow_up.case
    # Back to where the button was: only these two places, so no address is taken from the form.
    back = _workspace("follow-ups") if request.POST.get("from") == "casework" else _case_page(case)
    return _one_click(
        request,
        lambda: services.complete_follow_up(follow_up=follow_up, actor=request.user),
        message=f"Follow-up on case {case.number} done.",
        back=back,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def add_note(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    return _case_form(
        request,
        number,
        template="referrals/note.html",
        may=can_change_case,
        make=lambda case, data: NoteForm(data),
        save=lambda case, form: case_services.add_note(
            case=case,
            actor=user,
            text=form.cleaned_data["text"],
            shared=form.cleaned_data["shared"],
        ),
        done=lambda case: (f"Note added to case {case.number}.", f"{_case_page(case)}#notes"),
    )


# The end of a case -------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def resolve(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    return _case_form(
        request,
        number,
        template="referrals/resolve.html",
        may=can_serve_case,
        # the resolver sees their open follow-ups and says what becomes of them
        make=lambda case, data: ResolveForm(
            data, open_follow_ups=follow_ups.open_follow_ups(case, user.organisation_id)
        ),
        save=lambda case, form: services.resolve_case(
            case=case,
            actor=user,
            remark=form.cleaned_data["remark"],
            follow_ups=form.cleaned_data.get("follow_ups", ""),
        ),
        # Resolving completes the organisation's referral and so ends its access to the case.
        done=lambda case: (
            f"Case {case.number} resolved: the helpline will close it.",
            _workspace(),
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    return _case_form(
        request,
        number,
        template="referrals/close.html",
        may=can_work_case,
        make=lambda case, data: CloseForm(data),
        save=lambda case, form: case_services.close_case(
            case=case,
            actor=user,
            remark=form.cleaned_data["remark"],
            victim_check=form.cleaned_data["victim_check"],
        ),
        done=lambda case: (f"Case {case.number} closed.", _case_page(case)),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def send_back(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    return _case_form(
        request,
        number,
        template="referrals/send_back.html",
        may=can_work_case,
        make=lambda case, data: SendBackForm(data, case=case),
        save=lambda case, form: services.send_back(
            case=case,
            actor=user,
            remark=form.cleaned_data["remark"],
            organisation=form.cleaned_data["organisation"],
        ),
        done=lambda case: (f"Case {case.number} sent back.", _case_page(case)),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def reopen(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    return _case_form(
        request,
        number,
        template="referrals/reopen.html",
        may=can_work_case,
        make=lambda case, data: ReopenForm(data),
        save=lambda case, form: case_services.reopen_case(
            case=case, actor=user, reason=form.cleaned_data["reason"]
        ),
        done=lambda case: (f"Case {case.number} reopened.", _case_page(case)),
    )
