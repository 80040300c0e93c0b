"""Casework over the API (CONTRACT.md): referrals, services, resolve and close, and the extensions
(withdraw, send back, reopen, notes, follow-ups). Thin: parse, find what the user may see, one
service call, answer."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import services as case_services
from cases.models import AccessLog, Case
from cases.selectors import access_case, audit_listing, get_case_to_act_on
from cases.serializers import (
    CaseDetailSerializer,
    CaseListSerializer,
    FollowUpSerializer,
    NoteSerializer,
    ReferralSerializer,
    ServiceSerializer,
    detail_context,
)
from referrals import selectors, services
from referrals.models import Referral
from referrals.serializers import (
    CloseInputSerializer,
    FollowUpInputSerializer,
    NoteInputSerializer,
    ReasonInputSerializer,
    ReferralInputSerializer,
    ResolveInputSerializer,
    SendBackInputSerializer,
    ServiceInputSerializer,
)


def _valid(serializer_class: type, request: Request) -> Any:
    payload = serializer_class(data=request.data)
    payload.is_valid(raise_exception=True)
    return payload


def _case_answer(request: Request, case: Case) -> Response:
    """The case as this user may now see it; a CSO that just completed its part no longer sees
    the case, and gets only its number and status."""
    try:
        seen = access_case(request.user, case.number, request=request, action=AccessLog.Action.VIEW)
    except Http404:
        return Response(CaseListSerializer(case).data)
    return Response(CaseDetailSerializer(seen, context=detail_context(request)).data)


def _referral_answer(referral: Referral, status: int = 200) -> Response:
    # The user just acted on this referral as one of its two sides: its reasons are theirs to read.
    referral.readable_reason = referral.reason  # type: ignore[attr-defined]
    referral.readable_decline_reason = referral.decline_reason  # type: ignore[attr-defined]
    return Response(ReferralSerializer(referral).data, status=status)


class CaseReferralsView(APIView):
    @extend_schema(request=ReferralInputSerializer, responses={201: ReferralSerializer})
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = _valid(ReferralInputSerializer, request)
        referral = services.refer_case(
            case=case, actor=request.user, request=payload.referral_request()
        )
        return _referral_answer(referral, status=201)


class ReferralListView(ListAPIView):
    """Referrals to the user's organisation (to answer, or being worked on), or made by it."""

    serializer_class = ReferralSerializer

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=Referral.Status.values)],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        audit_listing(request.user, request, searched=False)
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        # an unknown status is a 400 like the case list's, never quietly every referral
        status = self.request.query_params.get("status", "")
        if status and status not in Referral.Status.values:
            raise ValidationError({"status": [f"Not one of {', '.join(Referral.Status.values)}."]})
        return selectors.referrals_for_organisation(self.request.user, status=status)


class AcceptView(APIView):
    @extend_schema(request=None, responses=ReferralSerializer)
    def post(self, request: Request, referral_id: int) -> Response:
        referral = selectors.get_referral_to_act_on(request.user, referral_id)
        return _referral_answer(services.accept_referral(referral=referral, actor=request.user))


class DeclineView(APIView):
    @extend_schema(request=ReasonInputSerializer, responses=ReferralSerializer)
    def post(self, request: Request, referral_id: int) -> Response:
        referral = selectors.get_referral_to_act_on(request.user, referral_id)
        payload = _valid(ReasonInputSerializer, request)
        declined = services.decline_referral(
            referral=referral, actor=request.user, reason=payload.validated_data["reason"]
        )
        return _referral_answer(declined)


class WithdrawView(APIView):
    @extend_schema(request=None, responses=ReferralSerializer)
    def post(self, request: Request, referral_id: int) -> Response:
        referral = selectors.get_referral_to_act_on(request.user, referral_id)
        return _referral_answer(services.withdraw_referral(referral=referral, actor=request.user))


class ServicesView(APIView):
    @extend_schema(request=ServiceInputSerializer, responses={201: ServiceSerializer})
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = _valid(ServiceInputSerializer, request)
        record = services.log_service(case=case, actor=request.user, entry=payload.entry())
        record.readable_notes = record.notes  # type: ignore[attr-defined]  # the user's own
        return Response(ServiceSerializer(record).data, status=201)


class FollowUpsView(APIView):
    @extend_schema(request=FollowUpInputSerializer, responses={201: FollowUpSerializer})
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = _valid(FollowUpInputSerializer, request)
        follow_up = services.add_follow_up(case=case, actor=request.user, entry=payload.entry())
        return Response(FollowUpSerializer(follow_up).data, status=201)


class FollowUpDoneView(APIView):
    @extend_schema(request=None, responses=FollowUpSerializer)
    def post(self, request: Request, follow_up_id: int) -> Response:
        follow_up = selectors.get_follow_up_to_act_on(request.user, follow_up_id)
        done = services.complete_follow_up(follow_up=follow_up, actor=request.user)
        return Response(FollowUpSerializer(done).data)


class NotesView(APIView):
    @extend_schema(request=NoteInputSerializer, responses={201: NoteSerializer})
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = _valid(NoteInputSerializer, request)
        note = case_services.add_note(case=case, actor=request.user, **payload.validated_data)
        return Response(NoteSerializer(note).data, status=201)


class ResolveView(APIView):
    @extend_schema(request=ResolveInputSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = _valid(ResolveInputSerializer, request)
        resolved = services.resolve_case(
            case=case,
            actor=request.user,
            remark=payload.validated_data["remark"],
            follow_ups=payload.validated_data["follow_ups"],
        )
        return _case_answer(request, resolved)


class CloseView(APIView):
    @extend_schema(request=CloseInputSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = _valid(CloseInputSerializer, request)
        closed = case_services.close_case(
            case=case,
            actor=request.user,
            remark=payload.validated_data.get("remark", ""),
            victim_check=payload.validated_data.get("victim_check", ""),
        )
        return _case_answer(request, closed)


class SendBackView(APIView):
    @extend_schema(request=SendBackInputSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = _valid(SendBackInputSerializer, request)
        sent = services.send_back(case=case, actor=request.user, **payload.validated_data)
        return _case_answer(request, sent)


class ReopenView(APIView):
    @extend_schema(request=ReasonInputSerializer, responses=CaseDetailSerializer)
    def post(self, request: Request, number: str) -> Response:
        case = get_case_to_act_on(request.user, number)
        payload = _valid(ReasonInputSerializer, request)
        reopened = case_services.reopen_case(
            case=case, actor=request.user, reason=payload.validated_data["reason"]
        )
        return _case_answer(request, reopened)
