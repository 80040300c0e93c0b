"""/cases/<number>/portal/...: the buttons and forms of the case page's portal panel. Each is a POST
that calls one service and goes back to the panel with what happened in words. A case the user
cannot see is 404 (cases.selectors.get_case_to_act_on); one they see but may not change is 403
(cases.policy.can_change_case, asked again by each service under the case's lock).

The reply, update and article services are other parts of the portal (portal.messages,
portal.updates, portal.articles), imported when used."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cases.models import Case
from cases.policy import can_change_case
from cases.selectors import get_case_to_act_on
from cases.workflow import CaseError, NotAllowedError
from notifications.models import Notification
from notifications.selectors import status_in_words
from portal import access_services
from portal.articles import send_article_link
from portal.messages import reply_in_portal
from portal.staff_forms import ArticleForm, ReplyForm, RevokeForm, UpdateForm
from portal.updates import send_staff_update

# What the action did, in words for the message at the top of the case page.
Action = Callable[[Case], str]


def _back(case: Case) -> HttpResponse:
    return redirect(f"{reverse('cases:detail', args=[case.number])}#portal")


def _act(
    request: HttpRequest, number: str, form: forms.Form | None, action: Action
) -> HttpResponse:
    case = get_case_to_act_on(request.user, number)
    if not can_change_case(request.user, case):
        raise PermissionDenied
    if form is not None and not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(case)
    try:
        messages.success(request, action(case))
    except NotAllowedError as exc:
        raise PermissionDenied(str(exc)) from exc
    except CaseError as exc:
        messages.error(request, str(exc))
    return _back(case)


def _outcome(what: str, row: Notification | None) -> str:
    """What became of a message to the victim: queued, held for their safe hours, or not sent
    and why (the writer learns it now, not only from the panel)."""
    if row is None:
        return f"{what}: no message could be written (an administrator must switch it on)."
    return f"{what}: {status_in_words(row, row.created_at).rstrip('.')}."


@never_cache
@require_POST
def portal_invite(request: HttpRequest, number: str) -> HttpResponse:
    def action(case: Case) -> str:
        row = access_services.invite(case, request.user)
        return _outcome("Invitation to the portal", row)

    return _act(request, number, None, action)


@never_cache
@require_POST
def portal_revoke(request: HttpRequest, number: str) -> HttpResponse:
    form = RevokeForm(request.POST)

    def action(case: Case) -> str:
        access_services.revoke_access(
            case=case, actor=request.user, reason=form.cleaned_data["reason"]
        )
        return "Portal access revoked. The victim is signed out now."

    return _act(request, number, form, action)


@never_cache
@require_POST
def portal_unlock(request: HttpRequest, number: str) -> HttpResponse:
    def action(case: Case) -> str:
        access_services.unlock_access(case=case, actor=request.user)
        return "Portal sign-in unlocked: the victim can ask for a new code."

    return _act(request, number, None, action)


@never_cache
@require_POST
def portal_reply(request: HttpRequest, number: str) -> HttpResponse:
    form = ReplyForm(request.POST)

    def action(case: Case) -> str:
        reply_in_portal(case=case, actor=request.user, text=form.cleaned_data["text"])
        return "Reply put in the portal."

    return _act(request, number, form, action)


@never_cache
@require_POST
def portal_update(request: HttpRequest, number: str) -> HttpResponse:
    form = UpdateForm(request.POST)

    def action(case: Case) -> str:
        update = send_staff_update(
            case=case, update_type=form.cleaned_data["update_type"], actor=request.user
        )
        if update.notice is None:
            return "Update put in the portal. No message told the victim of it."
        return _outcome("Update put in the portal. The message telling them", update.notice)

    return _act(request, number, form, action)


@never_cache
@require_POST
def portal_article(request: HttpRequest, number: str) -> HttpResponse:
    form = ArticleForm(request.POST)

    def action(case: Case) -> str:
        row = send_article_link(case=case, article=form.cleaned_data["article"], actor=request.user)
        return _outcome("Link to the help article", row)

    return _act(request, number, form, action)
