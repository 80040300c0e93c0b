"""The operator console (UX.md 5a): the live queue of the user's helpline, the triage actions and
the supervisor's team view.

Server-rendered; htmx only re-fetches what the server says. Every action is a plain POST form
first (it works without JavaScript) that htmx may send instead, every write goes through
triage.services, and every read through cases.selectors and cases.policy. The WebSocket
(helpline.consumers) only says "something changed"; the page then asks this view for its rows, so
what an operator sees is always what the server lets *them* see."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.models import User
from cases import searches
from cases.models import AccessLog, Case, Report
from cases.selectors import access_case, audit_listing_once, get_case_to_act_on, list_cases
from cases.workflow import CaseError
from helpline.forms import (
    PERPETRATOR_PREFIX,
    DiscardForm,
    PerpetratorFormSet,
    ReassignForm,
    ReinstateForm,
    VerifyForm,
    helpline_staff,
    initial_for,
    perpetrator_formset_with_extra_row,
)
from referrals.selectors import overdue_referrals
from triage import services
from triage.services import (
    DEFAULT_SLA_MINUTES,
    PRIORITY_RANK,
    ClaimedByOtherError,
    NotAllowedError,
    overdue_unclaimed,
    sla_minutes,
)

QUEUE_STATUSES = (Case.Status.NEW, Case.Status.IN_TRIAGE)
# What one page shows at most: the most urgent first, so the cap never hides an urgent case
# behind an older standard one. Keeps the rows partial's cost flat however long the queue is.
QUEUE_LIMIT = 200
SAVED_VIEWS = {
    "all": "Everything",
    "unclaimed": "Unclaimed",
    "mine": "Mine",
    "overdue": "Overdue",
    "high": "High priority",
}
CHANNEL_ICONS = {
    Case.Channel.SMS: "chat-left-text",
    Case.Channel.VOICE: "telephone",
    Case.Channel.WEB: "globe",
    Case.Channel.FEED: "shield",
    Case.Channel.API: "plug",
}
LATE_REFERRALS_SHOWN = 10
REFRESH_EVENT = "queue-refresh"  # console.js and the rows refresher listen for it


# Access -------------------------------------------------------------------------------------------


def _requires(
    permission: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """403 before anything is read: monitors, CSO staff and admins never reach the console. (Which
    *case* a worker may touch is still decided by the policy and the services.)"""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorate


works_cases = _requires("cases.work_case")
supervises = _requires("cases.supervise_case")


# The queue ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    case: Case
    since_ms: int
    waited_seconds: int
    sla_minutes: int
    overdue_minutes: int  # 0 when within target or already claimed
    repeat_contact: bool
    mine: bool
    icon: str

    @property
    def sla_ms(self) -> int:
        return self.sla_minutes * 60_000

    @property
    def waiting_text(self) -> str:
        return f"waiting {clock(self.waited_seconds)}"


def clock(seconds: int) -> str:
    """03:12, or 1:03:12 past an hour (console.js writes the same while the page is open)."""
    minutes, secs = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def overdue_minutes(late_seconds: float) -> int:
    """Whole minutes past the target, at least 1 once past it ("Overdue 4 min"; console.js
    counts the same way)."""
    return max(1, int(late_seconds // 60))


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _repeat_contact() -> Exists:
    """Another case of the same helpline came from a number this case came from (compared by the
    blind index: no phone number is read). One subquery, so the rows cost the same however many."""
    senders = (
        Report.objects.filter(case=OuterRef(OuterRef("pk")))
        .exclude(sender_index="")
        .values("sender_index")
    )
    return Exists(
        Report.objects.filter(
            sender_index__in=senders, case__helpline_id=OuterRef("helpline_id")
        ).exclude(case=OuterRef("pk"))
    )


def _queue(request: HttpRequest) -> dict[str, Any]:
    """Everything the queue and its rows partial show, in a fixed number of queries."""
    user = request.user
    now = timezone.now()
    view = request.GET.get("view", "all")
    view = view if view in SAVED_VIEWS else "all"
    search_id, q = searches.recall(request)
    base = list_cases(user).filter(helpline_id=user.organisation_id, status__in=QUEUE_STATUSES)
    cases: QuerySet[Case] = list_cases(user, q=q) if q else base
    cases = cases.filter(helpline_id=user.organisation_id, status__in=QUEUE_STATUSES)
    if view == "unclaimed":
        cases = cases.filter(status=Case.Status.NEW)
    elif view == "mine":
        cases = cases.filter(status=Case.Status.IN_TRIAGE, claimed_by=user)
    elif view == "overdue":
        cases = cases.filter(overdue_unclaimed(now))
    elif view == "high":
        cases = cases.filter(priority=Case.Priority.HIGH)
    cases = cases.annotate(repeat_contact=_repeat_contact()).order_by(
        PRIORITY_RANK.asc(), "created_at", "pk"
    )
    targets = sla_minutes()
    rows = []
    for case in cases[:QUEUE_LIMIT]:
        waited = int((now - case.created_at).total_seconds())
        target = targets.get(case.priority, DEFAULT_SLA_MINUTES["standard"])
        late = waited - target * 60
        rows.append(
            QueueRow(
                case=case,
                since_ms=_epoch_ms(case.created_at),
                waited_seconds=waited,
                sla_minutes=target,
                overdue_minutes=overdue_minutes(late)
                if case.status == Case.Status.NEW and late > 0
                else 0,
                repeat_contact=case.repeat_contact,  # type: ignore[attr-defined]
                mine=case.claimed_by_id == user.pk,
                icon=CHANNEL_ICONS.get(case.channel, "inbox"),
            )
        )
    unclaimed = base.filter(status=Case.Status.NEW).count()
    shown_all = len(rows) < QUEUE_LIMIT or cases.count() == len(rows)
    query = QueryDict(mutable=True)
    if view != "all":
        query["view"] = view
    if search_id:
        query["search"] = search_id
    return {
        "rows": rows,
        "unclaimed": unclaimed,
        "shown_all": shown_all,
        "view": view,
        "view_label": SAVED_VIEWS[view],
        "views": SAVED_VIEWS,
        "q": q,
        "search": search_id,
        "query": query.urlencode(),
        "server_now_ms": _epoch_ms(now),
        "sla": targets,
    }


@never_cache
@require_http_methods(["GET", "POST"])
@works_cases
def queue(request: HttpRequest) -> HttpResponse:
    """A search is posted and shown under a search id (cases.searches): the number or name typed
    never reaches a URL."""
    if request.method == "POST":
        query = QueryDict(mutable=True)
        view = request.POST.get("view", "all")
        if view in SAVED_VIEWS and view != "all":
            query["view"] = view
        search_id = searches.remember(request, request.POST.get("q", ""))
        if search_id:
            query["search"] = search_id
        url = reverse("helpline:queue")
        return redirect(f"{url}?{query.urlencode()}" if query else url)
    context = _queue(request)
    audit_listing_once(
        request.user, request, searched=bool(context["q"]), key=_listing_key(context), page=True
    )
    context["channel_labels"] = json.dumps(dict(Case.Channel.choices))
    # On the full page only: the rows partial, refreshed on every event, stays as cheap as it is.
    late = overdue_referrals(request.user)
    context["late_referrals"] = list(late[:LATE_REFERRALS_SHOWN])
    context["late_referrals_count"] = late.count() if context["late_referrals"] else 0
    return render(request, "helpline/queue.html", context)


@never_cache
@require_GET
@works_cases
def rows(request: HttpRequest) -> HttpResponse:
    """Just the queue's <tbody> (with the page title and the count), for htmx to swap in. It runs
    the list (and the search) again, so it is audited as one: once per list in a while."""
    context = _queue(request)
    audit_listing_once(
        request.user, request, searched=bool(context["q"]), key=_listing_key(context)
    )
    return render(request, "helpline/rows.html", context)


def _listing_key(context: dict[str, Any]) -> str:
    return f"console:{context['search'] or context['view']}"


# Actions ------------------------------------------------------------------------------------------


def already_claimed(exc: ClaimedByOtherError) -> str:
    when = f" at {timezone.localtime(exc.since):%H:%M}" if exc.since else ""
    return f"Already claimed by {exc.holder}{when}."


def _attempt(request: HttpRequest, action: Callable[[], object]) -> bool:
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
    if _attempt(request, lambda: services.claim_case(case=case, actor=request.user)):
        messages.success(request, f"You claimed {number}.")
    return _answer(request)


@require_POST
@works_cases
def release(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_to_act_on(request.user, number)
    if _attempt(request, lambda: services.release_case(case=case, actor=request.user)):
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
    if _attempt(
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


# Supervisors -------------------------------------------------------------------------------------


@never_cache
@require_GET
@supervises
def team(request: HttpRequest) -> HttpResponse:
    """Who holds which case and for how long; unclaimed cases past their target; the discarded
    bin, from which a supervisor can reinstate."""
    user = request.user
    now = timezone.now()
    targets = sla_minutes()
    cases = list_cases(user).filter(helpline_id=user.organisation_id)
    held = []
    for case in cases.filter(status=Case.Status.IN_TRIAGE).order_by(
        "claimed_by__username", "claimed_at"
    ):
        claimed_at = case.claimed_at or case.created_at
        target = targets.get(case.priority, DEFAULT_SLA_MINUTES["standard"])
        waited = (claimed_at - case.created_at).total_seconds()
        held.append(
            {
                "case": case,
                "held_minutes": int((now - claimed_at).total_seconds() // 60),
                "picked_up_after": int(waited // 60),
                "late_pickup": waited > target * 60,
                "target": target,
            }
        )
    overdue = []
    for case in cases.filter(overdue_unclaimed(now)).order_by(PRIORITY_RANK.asc(), "created_at"):
        target = targets.get(case.priority, DEFAULT_SLA_MINUTES["standard"])
        waited = (now - case.created_at).total_seconds()
        overdue.append(
            {
                "case": case,
                "overdue_minutes": overdue_minutes(waited - target * 60),
                "waiting": clock(int(waited)),
                "target": target,
            }
        )
    staff = helpline_staff(user.organisation).annotate(
        holding=Count(
            "claimed_cases",
            filter=Q(claimed_cases__status=Case.Status.IN_TRIAGE),
        )
    )
    discarded = (
        cases.filter(status=Case.Status.DISCARDED)
        .select_related("discard_reason")
        .order_by("-updated_at")[:50]
    )
    return render(
        request,
        "helpline/team.html",
        {
            "held": held,
            "overdue": overdue,
            "staff": staff,
            "discarded": discarded,
            "sla": targets,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@supervises
def reinstate(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_to_act_on(request.user, number)
    form = ReinstateForm(request.POST or None)
    status = 200
    if case.status != Case.Status.DISCARDED:
        messages.error(request, f"{number} is not discarded: there is nothing to reinstate.")
        return redirect("helpline:team")
    if request.method == "POST":
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            if _attempt(
                request,
                lambda: services.reinstate_case(case=case, actor=request.user, reason=reason),
            ):
                messages.success(request, f"{number} is back in the queue.")
                return redirect("helpline:team")
        status = 400
    return render(request, "helpline/reinstate.html", {"case": case, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@supervises
def reassign(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_to_act_on(request.user, number)
    if case.status != Case.Status.IN_TRIAGE:
        messages.error(request, f"{number} is not claimed: there is nobody to take it from.")
        return redirect("helpline:team")
    form = ReassignForm(
        request.POST or None, helpline=request.user.organisation, holder_id=case.claimed_by_id
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            to = form.cleaned_data["to"]
            if _attempt(
                request, lambda: services.reassign_case(case=case, actor=request.user, to=to)
            ):
                messages.success(request, f"{number} is now held by {to.get_username()}.")
                return redirect("helpline:team")
        status = 400
    return render(request, "helpline/reassign.html", {"case": case, "form": form}, status=status)
