"""The reports part of /api/v1/: the snapshot's figures as JSON (CONTRACT.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import empty
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.policy import can_view_figures
from dashboards.reports import (
    FILTER_NAMES,
    InvalidFiltersError,
    shareable_only,
    snapshot,
    suppress,
)


def _shareable(request: Request) -> bool:
    """`shareable` is a boolean (the schema says so): a value that is not one is a 400, never
    read as "no" and answered with the unsuppressed figures. Empty is not sent, like the filters."""
    field = serializers.BooleanField(required=False, default=False)
    try:
        return bool(field.run_validation(request.query_params.get("shareable") or empty))
    except ValidationError as error:
        raise ValidationError({"shareable": error.detail}) from error


class SnapshotView(APIView):
    """Figures for a period (default: the last 30 days) with the case list's filters. Suppressed
    for monitors, and with `shareable=1`: counts from 1 to SMALL_NUMBER_THRESHOLD - 1 as "<N", and
    as "[c]" any count a total would give such a one away by (dashboards.suppression)."""

    @extend_schema(
        parameters=[
            *(OpenApiParameter(name, OpenApiTypes.STR) for name in FILTER_NAMES),
            OpenApiParameter("shareable", OpenApiTypes.BOOL),
        ],
        responses=dict[str, Any],
    )
    def get(self, request: Request) -> Response:
        if not can_view_figures(request.user):
            raise PermissionDenied("Reports are for supervisors and monitors.")
        try:
            figures = snapshot(request.user, request.query_params)
        except InvalidFiltersError as error:
            raise ValidationError(error.errors) from error
        if shareable_only(request.user) or _shareable(request):
            figures = suppress(figures)
        return Response(figures)
