"""The case page's Calls panel (registered with cases.panels) and its "Call back" button.

The panel lists every call of the case, incoming and call-backs: when, which way, the operator,
what became of it and how long it lasted. Whoever sees the case sees the list; why a call-back was
refused can speak of the victim's preferences, so only those who may see identities read it.
Whoever may change the case gets the button, with what safe contact says now written above it, so
nobody presses to find out (UX.md 18-20). The button is a POST that calls one service and comes
back to the panel with the result as a message: a case the user cannot see is 404, one they may
not change 403."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cases.panels import Panel
from cases.policy import can_change_case, can_see_identities
from cases.selectors import get_case_to_act_on
from cases.workflow import CaseError, NotAllowedError
from live import callback
from live.models import Call

Outcome = Call.Outcome
# outcomes that mean nobody was talked to, for a mark that is not colour alone
NOT_TALKED = {Outcome.REFUSED, Outcome.FAILED, Outcome.MACHINE, Outcome.NOT_REACHED,
              Outcome.NO_ANSWER, Outcome.NOBODY_AVAILABLE, Outcome.HUNG_UP}  # fmt: skip


@dataclass(frozen=True)
class CallLine:
    at: datetime
    direction: str
    operator: str
    outcome: str
    reason: str
    duration: str
    talked: bool
    ongoing: bool


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def _line(call: Call, now: datetime, reasons: bool) -> CallLine:
    outcome, reason = call.get_outcome_display(), call.reason
    if callback.never_placed(call, now):  # its task never ran: failed, whatever the row says yet
        outcome, reason = Outcome.FAILED.label, callback.NOT_PLACED_IN_TIME
    return CallLine(
        at=call.started_at,
        direction=call.get_direction_display(),
        operator=call.operator.get_username() if call.operator else "",
        outcome=outcome,
        reason=reason if reasons else "",
        duration=_duration(call.duration_seconds),
        talked=call.outcome in (Outcome.ANSWERED, Outcome.COMPLETED),
        ongoing=outcome in (Outcome.RINGING.label, Outcome.ANSWERED.label) and not call.ended_at,
    )


def lines(case: Any, *, reasons: bool, now: datetime | None = None) -> list[CallLine]:
    now = now or timezone.now()
    calls = Call.objects.filter(case=case).select_related("operator").order_by("-started_at", "-pk")
    return [_line(call, now, reasons) for call in calls]


def context(request: HttpRequest, case: Any) -> dict[str, Any] | None:
    user = request.user
    may_call = can_change_case(user, case)
    return {
        "calls": lines(case, reasons=can_see_identities(user)),
        "verdict": callback.verdict(case, user, now=timezone.now()) if may_call else None,
    }


PANEL = Panel(name="live.calls", template="live/_calls_panel.html", context=context)


def _back(case: Any) -> HttpResponse:
    return redirect(f"{reverse('cases:detail', args=[case.number])}#calls")


@never_cache
@require_POST
def call_back(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_to_act_on(request.user, number)
    if not can_change_case(request.user, case):
        raise PermissionDenied
    try:
        call = callback.request_call_back(case=case, actor=request.user)
    except NotAllowedError as exc:
        raise PermissionDenied(str(exc)) from exc
    except CaseError as exc:
        messages.error(request, str(exc))
        return _back(case)
    if call.outcome == Outcome.REFUSED:
        messages.error(request, f"Call-back not placed: {call.reason}")
    elif call.outcome == Outcome.FAILED:
        messages.error(request, f"Call-back failed: {call.reason}")
    else:
        messages.success(
            request, "Calling your phone now: answer it and press 1 to be put through."
        )
    return _back(case)
