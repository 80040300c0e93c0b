"""Duplicates and merging over the API (issue 12): a case's likely duplicates, merging it into
another, a supervisor's unmerge, and moving one report to another case. Thin: parse, find the
cases the user may see (404 otherwise), one service call, answer with the case."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import merging
from cases.duplicates import likely_duplicates
from cases.models import AccessLog
from cases.policy import can_see_identities
from cases.selectors import access_case, get_case_to_act_on
from cases.serializers import CaseDetailSerializer, detail_context

NUMBER = serializers.CharField(max_length=32)


class DuplicateSerializer(serializers.Serializer):
    number = serializers.CharField(source="case.number")
    status = serializers.CharField(source="case.status")
    created_at = serializers.DateTimeField(source="case.created_at")
    reasons = serializers.ListField(child=serializers.CharField())
    score = serializers.IntegerField()


class MergeSerializer(serializers.Serializer):
    into = serializers.CharField(max_length=32)
    reason = serializers.CharField(max_length=2000)


class UnmergeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class MoveReportSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=32)
    reason = serializers.CharField(max_length=2000)


def _answer(request: Request, number: str) -> Response:
    case = access_case(request.user, number, request=request, action=AccessLog.Action.VIEW)
    return Response(CaseDetailSerializer(case, context=detail_context(request)).data)


class DuplicatesView(APIView):
    @extend_schema(responses=DuplicateSerializer(many=True))
    def get(self, request: Request, number: str) -> Response:
        """Cases the user may see that are likely about the same victim or perpetrator, best
        first, each with its reasons. 404 for those who may not see who is in a case."""
        if not can_see_identities(request.user):
            raise Http404("No such case.")
        case = access_case(request.user, number, request=request)
        return Response(DuplicateSerializer(likely_duplicates(request.user, case), many=True).data)


class MergeView(APIView):
    @extend_schema(request=MergeSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        """Merge this case into `into`: 200 with this case, now merged."""
        case = get_case_to_act_on(request.user, number)
        payload = MergeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        into = get_case_to_act_on(request.user, payload.validated_data["into"])
        merging.merge_case(
            case=case, into=into, actor=request.user, reason=payload.validated_data["reason"]
        )
        return _answer(request, number)


class UnmergeView(APIView):
    @extend_schema(request=UnmergeSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        """Undo this case's merge (supervisors): 200 with this case, back in its old status."""
        case = get_case_to_act_on(request.user, number)
        payload = UnmergeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        merging.unmerge_case(case=case, actor=request.user, reason=payload.validated_data["reason"])
        return _answer(request, number)


class MoveReportView(APIView):
    @extend_schema(request=MoveReportSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str, report_id: int) -> Response:
        """Move one of this case's reports to case `to` (an extension): 200 with this case."""
        case = get_case_to_act_on(request.user, number)
        report = case.reports.filter(pk=report_id).first()
        if report is None:
            raise Http404("No such report.")
        payload = MoveReportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        to_case = get_case_to_act_on(request.user, payload.validated_data["to"])
        merging.move_report(
            report=report, to_case=to_case, actor=request.user,
            reason=payload.validated_data["reason"],
        )  # fmt: skip
        return _answer(request, number)
