"""The feeds part of /api/v1/ (CONTRACT "Police and partner feeds"): send a source's file, read
an import's report. Thin: feeds.policy decides who, feeds.services does the work.

A source or batch the user may not manage is a 404, as for any record they may not see."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feeds import policy
from feeds.serializers import (
    ImportBatchSerializer,
    ImportStartedSerializer,
    ImportUploadSerializer,
)
from feeds.services import ImportRefused, start_import


class ImportsView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportStartedSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        """Import a file into the source (or, with `dry_run`, count what it would do). 202 at once
        with the batch's id; the import runs on the feeds worker; follow it at
        GET /api/v1/feeds/imports/{id}/."""
        source = policy.source_of(request.user, slug)
        payload = ImportUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload, file_name, dry_run = payload.validated()
        try:
            batch = start_import(
                source=source,
                upload=upload,
                file_name=file_name,
                actor=request.user,
                dry_run=dry_run,
                origin="api",
            )
        except ImportRefused as refused:
            raise ValidationError({"file": [str(refused)]}) from refused
        return Response(ImportStartedSerializer(batch).data, status=202)


class ImportView(APIView):
    @extend_schema(responses=ImportBatchSerializer)
    def get(self, request: Request, batch_id: int) -> Response:
        """The batch's status, its counts and the rows it rejected (row, field, message)."""
        batch = policy.batch_of(request.user, batch_id)
        return Response(ImportBatchSerializer(batch).data)
