"""A case's team over the API (issue 13 item 5): `POST /api/v1/cases/{number}/team/` moves it to
another team's queue, or the shared one, with a reason. Thin: parse, find the case the user may
see (404 otherwise), one service call (403, 409 and 400 as it refuses), answer with the team."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case
from cases.payloads import StrictCharField
from cases.selectors import get_case_to_act_on
from cases.serializers import TeamSerializer
from cases.teams import helpline_teams, move_case_to_team

NO_SUCH_TEAM = "Choose one of this helpline's active teams, or null for the shared queue."


class MoveTeamSerializer(serializers.Serializer):
    team = serializers.IntegerField(
        allow_null=True, min_value=1, max_value=2**31 - 1,
        help_text="The id of one of the case's helpline's active teams; null: the shared queue.",
    )  # fmt: skip
    reason = StrictCharField(max_length=2000, help_text="Why; kept in the case's history.")


class CaseTeamSerializer(serializers.Serializer):
    number = serializers.CharField()
    team = TeamSerializer(allow_null=True, help_text="Null: the helpline's shared queue.")


def _answer(case: Case) -> Response:
    team = {"id": case.team.pk, "name": case.team.name} if case.team else None
    return Response(CaseTeamSerializer({"number": case.number, "team": team}).data)


class CaseTeamView(APIView):
    @extend_schema(request=MoveTeamSerializer, responses=CaseTeamSerializer)
    def post(self, request: Request, number: str) -> Response:
        """Move the case to another team's queue (supervisors, or the operator holding it): 200
        with the case's team. Moving it where it already is changes nothing."""
        case = get_case_to_act_on(request.user, number)
        payload = MoveTeamSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        team_id = payload.validated_data["team"]
        team = None
        if team_id is not None:
            # Only the case's own helpline's teams are named: another's is "no such team".
            team = helpline_teams(case.helpline_id).filter(pk=team_id).first()
            if team is None:
                return Response({"team": [NO_SUCH_TEAM]}, status=400)
        moved = move_case_to_team(
            case=case, team=team, actor=request.user, reason=payload.validated_data["reason"]
        )
        return _answer(moved)
