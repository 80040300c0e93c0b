"""The casework workspace (`/casework/`, UX.md 5b): a CSO's referrals to answer and cases it
serves, a helpline's resolved cases to close and late referrals, and everyone's follow-ups by when
they are due. Audited as a list of cases."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import User
from cases.policy import visible_cases
from cases.selectors import audit_listing
from referrals import selectors
from referrals.models import FollowUp


def _lists(user: User) -> dict[str, tuple[str, QuerySet[Any]]]:
    """The workspace's lists for the user's side, by their `?view=` key: a CSO answers and serves
    referrals; a helpline closes resolved cases and chases late referrals. Anyone else (monitors,
    admins) has no workspace."""
    visible = visible_cases(user)  # the policy's query, built once for every list
    mine = ("My follow-ups", selectors.my_follow_ups(user, visible=visible))
    if user.has_perm("referrals.log_service"):
        return {
            "answer": ("To answer", selectors.referrals_to_answer(user, visible=visible)),
            "mine": ("My cases", selectors.my_referred_cases(user, visible=visible)),
            "organisation": (
                "My organisation's cases",
                selectors.organisation_referred_cases(user, visible=visible),
            ),
            "follow-ups": mine,
        }
    if user.has_perm("cases.work_case"):
        return {
            "close": ("Resolved — ready to close", selectors.cases_to_close(user, visible=visible)),
            "late": (
                "Referrals past their deadline",
                selectors.overdue_referrals(user, visible=visible),
            ),
            "follow-ups": mine,
        }
    raise PermissionDenied


def due_groups(follow_ups: list[FollowUp], now: datetime) -> list[tuple[str, list[FollowUp]]]:
    """Overdue, due today, later (UX.md 31): the overdue first, and said in words."""
    end_of_today = timezone.make_aware(datetime.combine(timezone.localdate(now), time.max))
    groups: dict[str, list[FollowUp]] = {"Overdue": [], "Due today": [], "Later": []}
    for follow_up in follow_ups:
        if follow_up.due_at < now:
            groups["Overdue"].append(follow_up)
        elif follow_up.due_at <= end_of_today:
            groups["Due today"].append(follow_up)
        else:
            groups["Later"].append(follow_up)
    return [(label, items) for label, items in groups.items() if items]


WORKSPACE_PAGE_SIZE = 50


@never_cache
@require_GET
def workspace(request: HttpRequest) -> HttpResponse:
    lists = _lists(request.user)
    view = request.GET.get("view", "")
    view = view if view in lists else next(iter(lists))
    label, chosen = lists[view]
    sizes = selectors.counts({key: rows for key, (_, rows) in lists.items()})
    # A page at a time: an organisation with hundreds of cases still gets a quick list on a phone.
    paginator = Paginator(chosen, WORKSPACE_PAGE_SIZE)
    paginator.count = sizes[view]  # counted with the tabs above, not once more
    page = paginator.get_page(request.GET.get("page"))
    rows: list[Any] = list(page.object_list)
    now = timezone.now()
    audit_listing(request.user, request, searched=False)  # a list of cases: who looked, when
    return render(
        request,
        "referrals/workspace.html",
        {
            "tabs": [(key, name, sizes[key]) for key, (name, _) in lists.items()],
            "view": view,
            "view_label": label,
            "rows": rows,
            "page": page,
            "groups": due_groups(rows, now) if view == "follow-ups" else [],
            "now": now,
        },
    )
