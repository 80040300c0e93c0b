"""The case part of /api/v1/: thin views over cases.selectors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ReadOnlyModelViewSet

from cases import selectors
from cases.change_serializers import CaseChangeSerializer, change_context
from cases.changes import change_case
from cases.filters import CaseFilter
from cases.manual import open_staff_case
from cases.manual_payloads import NewCaseSerializer
from cases.models import (
    AccessLog,
    Category,
    DiscardReason,
    FollowUpKind,
    Relationship,
    ServiceType,
)
from cases.payloads import StrictCharField
from cases.policy import can_open_case
from cases.serializers import CaseDetailSerializer, CaseListSerializer, detail_context
from cases.workflow import NotAllowedError


class SearchSerializer(serializers.Serializer):
    q = StrictCharField(max_length=200)


class CaseViewSet(ReadOnlyModelViewSet):
    lookup_field = "number"
    lookup_value_regex = "[A-Za-z0-9-]+"
    filterset_class = CaseFilter
    serializer_class = CaseListSerializer
    search_words = ""

    def get_queryset(self) -> Any:
        return selectors.list_cases(self.request.user, q=self._words())

    def _words(self) -> str:
        """`q` in the query string (CONTRACT.md) for API clients that keep no logs of URLs; pages
        and careful clients send it in the body of POST .../cases/search/ instead."""
        if self.action == "search":
            return self.search_words
        return self.request.query_params.get("q", "")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description=(
                    "A case number, a person's full name or a phone number. A query string ends up "
                    "in logs and histories: prefer POST /api/v1/cases/search/ with q in the body."
                ),
            )
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        selectors.audit_listing(request.user, request, searched=bool(self._words()))
        return super().list(request, *args, **kwargs)

    @extend_schema(request=SearchSerializer, responses=CaseListSerializer(many=True))
    @action(detail=False, methods=["post"])
    def search(self, request: Request) -> Response:
        """The case list searched by `q` sent in the body, so the words reach no URL; the list's
        filters still apply from the query string. Paged like the list."""
        payload = SearchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        self.search_words = payload.validated_data["q"]
        return self.list(request)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = selectors.access_case(request.user, kwargs["number"], request=request)
        return Response(CaseDetailSerializer(case, context=detail_context(request)).data)

    @extend_schema(
        request={"application/json": NewCaseSerializer}, responses={201: CaseDetailSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Staff open a case themselves (cases.manual): 201 with the case, `new`, or `in_triage`
        held by the opener when `claim` is true. JSON only: a form cannot carry the victim."""
        if not can_open_case(request.user):
            raise NotAllowedError("You cannot open cases.")
        if request.content_type.split(";")[0].strip() != "application/json":
            raise UnsupportedMediaType(request.content_type)
        payload = NewCaseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        case, _ = open_staff_case(actor=request.user, report=payload.staff_report())
        case = selectors.access_case(request.user, case.number, request=request)
        return Response(
            CaseDetailSerializer(case, context=detail_context(request)).data, status=201
        )

    @extend_schema(request=CaseChangeSerializer, responses=CaseDetailSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change the case's details after triage (cases.changes): only the parts sent, with the
        `version` read and a `reason`. A stale version: 409 with who changed it, when and what.
        PUT is not offered: a case is never replaced whole."""
        case = selectors.get_case_to_act_on(request.user, kwargs["number"])
        payload = CaseChangeSerializer(data=request.data, context=change_context(case))
        payload.is_valid(raise_exception=True)
        change_case(
            case=case,
            actor=request.user,
            version=payload.validated_data["version"],
            reason=payload.validated_data["reason"],
            changes=payload.changes(),
        )
        case = selectors.access_case(request.user, case.number, request=request)
        return Response(CaseDetailSerializer(case, context=detail_context(request)).data)


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    record = serializers.CharField()
    record_id = serializers.IntegerField()
    action = serializers.CharField()
    by = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    changes = serializers.ListField(child=serializers.DictField())


class CaseHistoryView(APIView):
    @extend_schema(responses=HistoryEntrySerializer(many=True))
    def get(self, request: Request, number: str) -> Response:
        case = selectors.access_case(
            request.user, number, request=request, action=AccessLog.Action.HISTORY
        )
        return Response(
            HistoryEntrySerializer(selectors.case_history(request.user, case), many=True).data
        )


class LookupsView(APIView):
    """The configurable lists, active entries only, in their display order."""

    @extend_schema(responses=dict[str, list[dict[str, str]]])
    def get(self, request: Request) -> Response:
        lists = {
            "categories": Category,
            "service_types": ServiceType,
            "discard_reasons": DiscardReason,
            "relationships": Relationship,
            "follow_up_kinds": FollowUpKind,  # an extension of the contract
        }
        return Response(
            {
                key: list(model.objects.filter(is_active=True).values("code", "label"))
                for key, model in lists.items()
            }
        )
