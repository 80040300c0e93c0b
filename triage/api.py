"""Triage over the API (CONTRACT.md): claim, release, verify, discard, and (extensions) take next,
reinstate and reassign. Thin: parse, access the case, one service call, answer with the case."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from cases.models import AccessLog
from cases.selectors import access_case, get_case_to_act_on
from cases.serializers import CaseDetailSerializer, detail_context
from triage import services
from triage.serializers import (
    DiscardSerializer,
    ReasonSerializer,
    ReassignSerializer,
    VerifySerializer,
)


def _answer(request: Request, number: str) -> Response:
    case = access_case(request.user, number, request=request, action=AccessLog.Action.VIEW)
    return Response(CaseDetailSerializer(case, context=detail_context(request)).data)


class ClaimView(APIView):
    @extend_schema(request=None, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        services.claim_case(case=get_case_to_act_on(request.user, number), actor=request.user)
        return _answer(request, number)


class ReleaseView(APIView):
    @extend_schema(request=None, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        services.release_case(case=get_case_to_act_on(request.user, number), actor=request.user)
        return _answer(request, number)


class VerifyView(APIView):
    @extend_schema(request=VerifySerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = VerifySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.verify_case(case=case, actor=request.user, verification=payload.verification())
        return _answer(request, number)


class DiscardView(APIView):
    @extend_schema(request=DiscardSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = DiscardSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.discard_case(case=case, actor=request.user, **payload.validated_data)
        return _answer(request, number)


class ReinstateView(APIView):
    @extend_schema(request=ReasonSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.reinstate_case(
            case=case, actor=request.user, reason=payload.validated_data["reason"]
        )
        return _answer(request, number)


class ReassignView(APIView):
    @extend_schema(request=ReassignSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = ReassignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        to = User.objects.filter(username=payload.validated_data["to"], is_active=True).first()
        if to is None:
            return Response({"to": ["No such member of staff."]}, status=400)
        services.reassign_case(case=case, actor=request.user, to=to)
        return _answer(request, number)


class TakeNextView(APIView):
    @extend_schema(
        request=None,
        responses={
            200: CaseDetailSerializer,
            204: OpenApiResponse(description="No unclaimed case is waiting."),
        },
    )
    def post(self, request: Request) -> Response:
        case = services.take_next(actor=request.user)
        if case is None:
            return Response(status=204)
        return _answer(request, case.number)
