"""Risk over the API (an extension of the contract): the questionnaire in use, a case's
assessments, and completing one. Thin: parse, access the case, one service call, answer."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.selectors import access_case, get_case_to_act_on
from risk import selectors, services
from risk.serializers import (
    AssessmentSerializer,
    CompleteSerializer,
    OutcomeSerializer,
    QuestionnaireSerializer,
)


class QuestionnaireView(APIView):
    """The questionnaire in use and its active questions, in order (no case content)."""

    @extend_schema(responses=QuestionnaireSerializer)
    def get(self, request: Request) -> Response:
        questionnaire, _ = services.active_questionnaire()
        return Response(QuestionnaireSerializer(questionnaire).data)


class CaseRiskView(APIView):
    @extend_schema(responses=AssessmentSerializer(many=True))
    def get(self, request: Request, number: str) -> Response:
        """The case's assessments, newest first; level, score and date only without identities."""
        case = access_case(request.user, number, request=request)
        full = selectors.reads_answers(request.user)
        serializer = AssessmentSerializer if full else OutcomeSerializer
        return Response(serializer(selectors.list_assessments(case), many=True).data)

    @extend_schema(request=CompleteSerializer, responses={201: OutcomeSerializer})
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = CompleteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        assessment = services.complete_assessment(
            case=case, actor=request.user, **payload.validated_data
        )
        return Response(OutcomeSerializer(assessment).data, status=status.HTTP_201_CREATED)
