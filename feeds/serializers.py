"""What the feeds API reads and answers (CONTRACT "Police and partner feeds")."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from rest_framework import serializers

from feeds.models import ImportBatch, RowError

# "true"/"false" as the contract spells them, in any case (Python's requests sends "True"), "1"/"0"
# as scripts often send them, and "on" as a checkbox does; anything else is a 400 rather than a
# guess (a typo must never start a real import meant as a dry run).
DRY_RUN_VALUES = {"true": True, "1": True, "on": True, "false": False, "0": False, "off": False}


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def clean_file_name(name: str | None) -> str:
    """The name the file came with, for the report: its last part only (a client may send a
    path), without control characters (PostgreSQL refuses NUL), within the column's length."""
    name = name or ""
    base = PureWindowsPath(PurePosixPath(name).name).name
    printable = "".join(ch for ch in base if ch.isprintable())
    return printable[-255:]


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False,
        use_url=False,
        help_text="The source's file, in the format its profile says.",
    )
    dry_run = serializers.CharField(
        required=False,
        default="false",
        max_length=8,
        help_text="Check and count every row without writing anything: true or false (or 1/0).",
    )

    def validate_dry_run(self, value: str) -> str:
        if value.strip().lower() not in DRY_RUN_VALUES:
            raise serializers.ValidationError("Send true or false (or 1 or 0).")
        return value.strip().lower()

    def validate_file(self, upload: UploadedFile) -> UploadedFile:
        limit = settings.FEED_MAX_FILE_MB * 1024 * 1024
        if upload.size is not None and upload.size > limit:
            raise serializers.ValidationError(
                f"The file is {megabytes(upload.size)}; the largest accepted is "
                f"{settings.FEED_MAX_FILE_MB} MB."
            )
        return upload

    def validated(self) -> tuple[UploadedFile, str, bool]:
        data: dict[str, Any] = self.validated_data
        upload = data["file"]
        return upload, clean_file_name(upload.name), DRY_RUN_VALUES[data["dry_run"]]


# Text, not an enum in the schema: "status" is the case's enum there already (drf-spectacular
# would name the two apart with a hash).
STATUS_HELP = "queued, running, done, failed or rolled_back (a done import undone since)."


class ImportStartedSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)

    class Meta:
        model = ImportBatch
        fields = ["id", "status"]


class CountsSerializer(serializers.Serializer):
    """The batch's own counters (as feeds.progress sends them live)."""

    rows = serializers.IntegerField()
    new = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()


class RowErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = RowError
        fields = ["row", "field", "message"]


class ImportBatchSerializer(serializers.ModelSerializer):
    """A batch's report. `errors` are the rows kept (the first FEED_ERRORS_KEPT); `rejected`
    counts them all. No row's content is in it: messages name the field, never the value."""

    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    counts = CountsSerializer(source="*", read_only=True)
    errors = RowErrorSerializer(source="row_errors", many=True, read_only=True)
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "status",
            "counts",
            "errors",
            "source",
            "dry_run",
            "rows_done",
            "cases_opened",
            "failure",
            "created_at",
            "finished_at",
        ]
