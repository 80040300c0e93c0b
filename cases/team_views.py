"""Moving a case to another team's queue from its page (cases.teams): a supervisor, or the
operator holding the case, picks the team (or the shared queue) and says why."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases.models import Case, Team
from cases.policy import can_move_team
from cases.refusals import attempt
from cases.selectors import get_case_to_act_on
from cases.teams import SHARED_QUEUE, helpline_teams, move_case_to_team


class MoveTeamForm(forms.Form):
    team = forms.ModelChoiceField(
        label="Move to",
        queryset=Team.objects.none(),
        required=False,
        empty_label=SHARED_QUEUE.capitalize(),
        error_messages={"invalid_choice": "Choose a team from the list"},
    )
    reason = forms.CharField(
        label="Why",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the case's history. Do not write names or phone numbers here.",
        error_messages={"required": "Say why the case moves to another team"},
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"team": case.team_id})
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = helpline_teams(case.helpline_id)  # type: ignore[attr-defined]


@never_cache
@require_http_methods(["GET", "POST"])
def move_team(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_to_act_on(request.user, number)
    if request.method == "GET" and not can_move_team(request.user, case):
        raise PermissionDenied("Only a supervisor or the operator holding the case can move it.")
    form = MoveTeamForm(request.POST if request.method == "POST" else None, case=case)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            team = form.cleaned_data["team"]
            status = attempt(
                form,
                lambda: move_case_to_team(
                    case=case, team=team, actor=request.user, reason=form.cleaned_data["reason"]
                ),
            )
            if not status:
                messages.success(request, f"{case.number} is now in {team or SHARED_QUEUE}.")
                return redirect("cases:detail", number=case.number)
    return render(request, "cases/move_team.html", {"case": case, "form": form}, status=status)
