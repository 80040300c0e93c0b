"""The supervisor's side of the console: who holds which case and for how long, each person's
workload and teams, unclaimed cases past their target, the discarded bin, the helpline's routing
rules (read only: admins edit them), and reinstating or reassigning a case."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cases.models import Case
from cases.selectors import get_case_to_act_on, list_cases
from cases.teams import describe_rule, helpline_teams, routing_rules, workload
from helpline.access import supervises
from helpline.queue import clock, overdue_minutes
from helpline.team_forms import ReassignForm, ReinstateForm
from helpline.views import attempt
from live.presence import helpline_states
from triage import services
from triage.services import (
    DEFAULT_SLA_MINUTES,
    PRIORITY_RANK,
    overdue_unclaimed,
    sla_minutes,
)


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
            "workload": workload(user.organisation),
            "teams": helpline_teams(user.organisation_id).prefetch_related("members"),
            "rules": [(rule, describe_rule(rule)) for rule in routing_rules(user.organisation)],
            "discarded": discarded,
            "sla": targets,
            "operators": _operator_states(user.organisation_id, now),
            "server_now_ms": int(now.timestamp() * 1000),
        },
    )


def _operator_states(helpline_id: int, now: datetime) -> list[dict[str, object]]:
    """Each operator's and supervisor's state, with its start (or wrap-up's end) in milliseconds
    of the server's clock for static/js/presence.js, which keeps the rows live."""
    rows = []
    for operator in helpline_states(helpline_id, now=now):
        since = datetime.fromisoformat(operator["since"]) if operator["since"] else None
        until = datetime.fromisoformat(operator["until"]) if operator["until"] else None
        rows.append(
            {
                **operator,
                "since_ms": int(since.timestamp() * 1000) if since else None,
                "until_ms": int(until.timestamp() * 1000) if until else None,
                "minutes": int((now - since).total_seconds() // 60) if since else None,
                "left": int((until - now).total_seconds()) if until else None,
            }
        )
    return rows


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
            if attempt(
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
            if attempt(
                request, lambda: services.reassign_case(case=case, actor=request.user, to=to)
            ):
                messages.success(request, f"{number} is now held by {to.get_username()}.")
                return redirect("helpline:team")
        status = 400
    return render(request, "helpline/reassign.html", {"case": case, "form": form}, status=status)
