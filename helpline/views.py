"""The operator console's triage actions (UX.md 5a): claim, release, take next, verify, discard.
The live queue is helpline.queue, the supervisor's team view helpline.team.

Server-rendered; htmx only re-fetches what the server says. Every action is a plain POST form
first (it works without JavaScript) that htmx may send instead, every write goes through
triage.services, and every read through cases.selectors and cases.policy. The WebSocket
(helpline.consumers) only says "something changed"; the page then asks helpline.queue for its
rows, so what an operator sees is always what the server lets *them* see."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.models import User
from cases.drafts import discard_draft
from cases.models import AccessLog, Case
from cases.selectors import access_case, get_case_to_act_on
from cases.workflow import CaseError
from helpline.access import works_cases
from helpline.forms import (
    PERPETRATOR_PREFIX,
    DiscardForm,
    PerpetratorFormSet,
    VerifyForm,
    initial_for,
    perpetrator_formset_with_extra_row,
)
from triage import services
from triage.services import (
    ClaimedByOtherError,
    NotAllowedError,
)

REFRESH_EVENT = "queue-refresh"  # console.js and the rows refresher listen for it


# Actions ------------------------------------------------------------------------------------------


def already_claimed(exc: ClaimedByOtherError) -> str:
    when = f" at {timezone.localtime(exc.since):%H:%M}" if exc.since else ""
    return f"Already claimed by {exc.holder}{when}."


def attempt(request: HttpRequest, action: Callable[[], object]) -> bool:
    """Run a triage service; what it refuses becomes a message, never a 500. NotAllowedError is a
    403: the user may see the case but this is not theirs to do."""
    try:
        action()
    except ClaimedByOtherError as exc:
        messages.warning(request, already_claimed(exc))
    except NotAllowedError as exc:
        raise PermissionDenied(str(exc)) from exc
    except CaseError as exc:  # TriageError, IllegalMoveError
        messages.error(request, str(exc))
    else:
        return True
    return False


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _answer(request: HttpRequest) -> HttpResponse:
    """After a queue action: for htmx, the messages (swapped out of band into the console's status
    region) and a "refresh the rows" event; without JavaScript, back to where the form was."""
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "helpline/_feedback.html")
        return trigger_client_event(response, REFRESH_EVENT)
    return redirect(_next_url(request, reverse("helpline:queue")))


@require_POST
@works_cases
def claim(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_to_act_on(request.user, number)
    if attempt(request, lambda: services.claim_case(case=case, actor=request.user)):
        messages.success(request, f"You claimed {number}.")
    return _answer(request)


@require_POST
@works_cases
def release(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_to_act_on(request.user, number)
    if attempt(request, lambda: services.release_case(case=case, actor=request.user)):
        messages.success(request, f"{number} is back in the queue.")
    return _answer(request)


@require_POST
@works_cases
def take_next(request: HttpRequest) -> HttpResponse:
    """Claim the most urgent, oldest case and go straight to verifying it."""
    case = services.take_next(actor=request.user)
    if case is None:
        messages.info(request, "Nothing is waiting in the queue.")
        return redirect("helpline:queue")
    messages.success(request, f"You took {case.number}.")
    return redirect("helpline:verify", number=case.number)


def _triage_state(case: Case, user: User) -> str:
    """What the verify and discard pages may offer for this case and this user."""
    if case.status == Case.Status.NEW:
        return "unclaimed"
    if case.status != Case.Status.IN_TRIAGE:
        return "done"
    if case.claimed_by_id == user.pk:
        return "mine"
    return "supervising" if user.has_perm("cases.supervise_case") else "other"


def _case_page(request: HttpRequest, number: str) -> Case:
    # Showing the reports is a read of the case: audited like the case page.
    return access_case(request.user, number, request=request, action=AccessLog.Action.VIEW)


@never_cache
@require_http_methods(["GET", "POST"])
@works_cases
def verify(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_page(request, number)
    state = _triage_state(case, request.user)
    initial = initial_for(case)
    status = 200
    if request.method == "POST" and state in ("mine", "supervising"):
        form = VerifyForm(request.POST, initial=initial)
        formset = PerpetratorFormSet(request.POST, prefix=PERPETRATOR_PREFIX)
        if "add_perpetrator" in request.POST:
            # No JavaScript: the same page with what was typed and one more empty row.
            formset.full_clean()
            form = VerifyForm(initial=form.values())
            formset = perpetrator_formset_with_extra_row(formset)
        elif form.is_valid() and formset.is_valid():
            verification = form.verification(formset.perpetrators())
            try:
                services.verify_case(case=case, actor=request.user, verification=verification)
            except ClaimedByOtherError as exc:
                form.add_error(None, already_claimed(exc))
                status = exc.http_status
            except NotAllowedError as exc:
                raise PermissionDenied(str(exc)) from exc
            except CaseError as exc:
                form.add_error(None, str(exc))
                status = exc.http_status
            else:
                discard_draft(request.user, "verify", case)  # its work is saved
                messages.success(request, f"{number} is verified.")
                return redirect("cases:detail", number=number)
        else:
            status = 400
    else:
        form = VerifyForm(initial=initial)
        formset = PerpetratorFormSet(prefix=PERPETRATOR_PREFIX)
        if request.method == "POST":
            messages.error(request, _not_yours(case, state))
            status = 409
    return render(
        request,
        "helpline/verify.html",
        {
            "case": case,
            "state": state,
            "form": form,
            "formset": formset,
            "phone_from_report": not initial_had_victim(case) and bool(initial["victim_phone"]),
        },
        status=status,
    )


def initial_had_victim(case: Case) -> bool:
    return any(link.role == "victim" for link in case.people.all())


def _not_yours(case: Case, state: str) -> str:
    if state == "unclaimed":
        return "Claim the case first."
    if state == "other" and case.claimed_by:
        return f"Already claimed by {case.claimed_by.get_username()}."
    return f"{case.number} is {case.get_status_display().lower()}: there is nothing to triage."


@never_cache
@require_http_methods(["GET", "POST"])
@works_cases
def discard(request: HttpRequest, number: str) -> HttpResponse:
    """Not a case: a reason code, a note, then an "Are you sure?" page before anything changes."""
    case = _case_page(request, number)
    state = _triage_state(case, request.user)
    if request.method == "GET" or state not in ("mine", "supervising"):
        if request.method == "POST":
            messages.error(request, _not_yours(case, state))
        return render(
            request,
            "helpline/discard.html",
            {"case": case, "state": state, "form": DiscardForm()},
            status=409 if request.method == "POST" else 200,
        )
    form = DiscardForm(request.POST)
    if not form.is_valid() or "change" in request.POST:
        return render(
            request,
            "helpline/discard.html",
            {"case": case, "state": state, "form": form},
            status=200 if form.is_valid() else 400,
        )
    if request.POST.get("confirm") != "yes":
        return render(request, "helpline/discard_confirm.html", {"case": case, "form": form})
    data = form.cleaned_data
    if attempt(
        request,
        lambda: services.discard_case(
            case=case, actor=request.user, reason=data["reason"], note=data["note"]
        ),
    ):
        messages.success(
            request,
            f"{number} is discarded ({data['reason'].label}). A supervisor can put it back.",
        )
        return redirect("helpline:queue")
    return redirect("helpline:discard", number=number)
