"""The operator console's live queue (UX.md 5a): the page, and its rows partial that htmx fetches
again whenever the WebSocket (helpline.consumers) says something changed, so what an operator sees
is always what the server lets *them* see. A search is posted and shown under a search id
(cases.searches), never in a URL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cases import searches
from cases.filters import CaseFilter
from cases.models import Case, Report
from cases.selectors import audit_listing_once, list_cases, with_victim_language
from cases.teams import queue_scope, scope_choices
from helpline.access import works_cases
from referrals.selectors import overdue_referrals
from triage.services import (
    DEFAULT_SLA_MINUTES,
    PRIORITY_RANK,
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
    Case.Channel.WHATSAPP: "whatsapp",
    Case.Channel.CHAT: "chat-dots",
}
LATE_REFERRALS_SHOWN = 10
# The case list's filters the queue offers too (codes only, so they may sit in the URL).
QUEUE_FILTERS = ("flag", "risk", "language")


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
    scope = queue_scope(user, request.GET.get("team", ""))
    base = scope.apply(
        list_cases(user).filter(helpline_id=user.organisation_id, status__in=QUEUE_STATUSES)
    )
    cases: QuerySet[Case] = scope.apply(list_cases(user, q=q)) if q else base
    cases = cases.filter(helpline_id=user.organisation_id, status__in=QUEUE_STATUSES)
    if view == "unclaimed":
        cases = cases.filter(status=Case.Status.NEW)
    elif view == "mine":
        cases = cases.filter(status=Case.Status.IN_TRIAGE, claimed_by=user)
    elif view == "overdue":
        cases = cases.filter(overdue_unclaimed(now))
    elif view == "high":
        cases = cases.filter(priority=Case.Priority.HIGH)
    filters = _filters(request.GET, cases)
    chosen = {name: filters.data[name] for name in filters.data if name not in filters.errors}
    cases = with_victim_language(filters.qs).annotate(repeat_contact=_repeat_contact())
    cases = cases.order_by(PRIORITY_RANK.asc(), "created_at", "pk")
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
    query.update(chosen)
    kept = sorted(chosen.items())  # what the saved views' links carry on
    if scope.choice:
        query["team"] = scope.choice
        kept.append(("team", scope.choice))
    if search_id:
        query["search"] = search_id
    return {
        "filters": filters,
        "chosen": chosen,
        "filter_query": urlencode(kept),
        "scope": scope,
        "scope_teams": ",".join(str(pk) for pk in sorted(scope.team_ids or ())),
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
        query.update(
            {
                name: request.POST[name]
                for name in (*QUEUE_FILTERS, "team")
                if request.POST.get(name)
            }
        )
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
    context["scope_choices"] = scope_choices(request.user)
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


def _filters(params: QueryDict, cases: QuerySet[Case]) -> CaseFilter:
    """The queue's filters from the URL: a code that names nothing is dropped, not an error."""
    given = {name: params[name] for name in QUEUE_FILTERS if params.get(name)}
    return CaseFilter(given, queryset=cases)


def _listing_key(context: dict[str, Any]) -> str:
    """One per list shown: a search, or a view with its filters and teams."""
    if context["search"]:
        return f"console:{context['search']}"
    filters = "".join(f":{name}={value}" for name, value in sorted(context["chosen"].items()))
    teams = f":team={context['scope'].choice}" if context["scope"].choice else ""
    return f"console:{context['view']}{filters}{teams}"
