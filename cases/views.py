"""The web pages every case role shares: the case list and a case's page."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases import searches, selectors
from cases.case_search import case_match_reasons
from cases.filters import CaseFilter
from cases.models import Case, Category, ServiceType
from cases.panels import panels_for
from cases.policy import can_change_case, can_merge, can_see_identities
from cases.timeline import readable
from notifications.forms import MessageForm
from notifications.selectors import contact_answers, victim_messages

# The case page is where every app's actions on a case meet: what it offers comes from referrals,
# which decides it from cases.policy (one policy) and the states its services accept.
from referrals.forms import NoteForm
from referrals.offers import next_step, offers_for

S = Case.Status
# The case page shows the latest entries of the timeline; `?timeline=all` shows every one. A case
# worked for months has hundreds, and each is a row to lay out on every visit (the printed case
# file always has them all).
TIMELINE_ON_PAGE = 25
# What the case list's form may carry on into its URL: filters (codes), never words about a person.
LIST_FILTERS = ("status", "channel", "category", "flag", "risk", "language", "flagged_by")
# The workflow bar (UX.md 21), in the order a case goes through.
WORKFLOW = (
    S.NEW,
    S.IN_TRIAGE,
    S.VERIFIED,
    S.REFERRED,
    S.IN_SERVICE,
    S.RESOLVED,
    S.CLOSED,
    S.ARCHIVED,
)


@dataclass(frozen=True)
class Stage:
    label: str
    state: str  # "done", "current" or "to come"


def workflow_stages(status: str) -> list[Stage]:
    """The stages with the current one marked. A discarded case stopped after triage; a merged one
    lives on in the case it joined."""
    if status == S.DISCARDED:
        order = [*WORKFLOW[:2], S.DISCARDED]
    elif status == S.MERGED:
        order = [S.NEW, S.MERGED]
    else:
        order = list(WORKFLOW)
    here = order.index(S(status))
    return [
        Stage(
            label=stage.label,
            state="done" if i < here else "current" if i == here else "to come",
        )
        for i, stage in enumerate(order)
    ]


@never_cache
@require_http_methods(["GET", "POST"])
def case_list(request: HttpRequest) -> HttpResponse:
    """The words searched for arrive by POST and are shown under a search id (cases.searches),
    so they never sit in a URL; the filters, which say nothing about a person, stay in it."""
    if request.method == "POST":
        return redirect(_list_url(request))
    search_id, q = searches.recall(request)
    cases = selectors.with_victim_language(selectors.list_cases(request.user, q=q))
    filterset = CaseFilter(request.GET, queryset=cases)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    if q:  # why each row of this page was found, under the row
        case_match_reasons(request.user, page.object_list, q)
    selectors.audit_listing(request.user, request, searched=bool(q))
    return render(
        request,
        "cases/case_list.html",
        {
            "filter": filterset,
            "categories": Category.objects.all(),
            "page": page,
            "q": q,
            "keep": _list_query(request.GET, search_id),
        },
    )


def _list_query(data: QueryDict, search_id: str) -> str:
    query = QueryDict(mutable=True)
    for name in LIST_FILTERS:
        if data.get(name):
            query[name] = data[name]
    if search_id:
        query["search"] = search_id
    return query.urlencode()


def _list_url(request: HttpRequest) -> str:
    search_id = searches.remember(request, request.POST.get("q", ""))
    query = _list_query(request.POST, search_id)
    return f"{reverse('cases:list')}?{query}" if query else reverse("cases:list")


def _address_with_id(name: str) -> tuple[str, str]:
    """The URL `name` takes one id in, reversed once, as (before the id, after it): a page listing
    many rows puts each row's id between them instead of reversing the URL per row."""
    before, _, after = reverse(name, args=[0]).rpartition("/0/")
    return f"{before}/", f"/{after}"


@never_cache
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    case = selectors.access_case(user, number, request=request)
    offers = offers_for(user, case)
    # Writing to the victim: whoever may write on the case (the archived one no one may).
    writes = can_change_case(user, case)
    history = readable(selectors.case_history(user, case))
    whole = request.GET.get("timeline") == "all"
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "identities": can_see_identities(user),
            "offers": offers,
            "next": next_step(case, offers),
            "stages": workflow_stages(case.status),
            "quick_services": (
                ServiceType.objects.filter(is_active=True, quick=True) if offers.serve else []
            ),
            # open ones first, the earliest due (so the overdue) at the top
            "follow_ups": sorted(
                case.visible_follow_ups,  # type: ignore[attr-defined]
                key=lambda f: (f.done_at is not None, f.due_at),
            ),
            "done_url": _address_with_id("referrals:follow-up-done"),
            "note_form": NoteForm() if offers.note else None,
            "history": history if whole else history[-TIMELINE_ON_PAGE:],
            "history_total": len(history),
            "earlier_cases": selectors.earlier_cases_from_same_number(user, case),
            "victim_messages": victim_messages(user, case),
            "message_form": MessageForm() if writes else None,
            "contact_answers": contact_answers(case) if writes else [],
            "may_override": offers.override_consent,
            "may_merge": can_merge(user, case),  # move a report (cases.merge_views)
            # sections the apps above cases add (cases.panels), e.g. the victim portal's
            "panels": panels_for(request, case),
        },
    )
