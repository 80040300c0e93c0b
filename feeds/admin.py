"""Feed sources and the lists the feeds use, for superusers and helpline administrators (system-wide
configuration, accounts.admin_access).

- Sources: the profile is edited as JSON text and checked by feeds.profiles, with every problem
  shown on the form; saving goes through feeds.sources, which numbers profile versions, writes
  the history reason and keeps the pull schedule in step. Retired with "active", never deleted
  (their batches and records point at them).
- Import batches: read-only, with their counts and row errors (which never hold a value); they are
  started and rolled back on the feeds pages, the API and import_feed.
- Partner event types: the admin-defined kinds of crime-system event.
- Partners: read-only and without their secrets; create_partner makes them and prints the secret.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_access import SystemWideAdmin
from accounts.admin_history import HistoryAdmin
from accounts.models import Organisation
from feeds.models import FeedSource, ImportBatch, Partner, PartnerEventType, RowError
from feeds.sources import SourceSpec, check, save_source


class ProfileField(forms.JSONField):
    """The profile as indented JSON, so a long one reads and diffs line by line."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value  # what was typed comes back as typed, with the error
        return json.dumps(value, indent=2, ensure_ascii=False)


class FeedSourceForm(forms.ModelForm):
    profile = ProfileField(
        widget=forms.Textarea(attrs={"rows": 24, "cols": 90, "class": "vLargeTextField"}),
        help_text="How to read this source's files (CONTRACT 'Police and partner feeds'): "
        "format, columns and the optional settings. A change gets the next version number.",
    )

    pull_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="Pull URL",
        help_text="An https:// address to fetch files from (never http://).",
    )

    class Meta:
        model = FeedSource
        fields = [
            "slug",
            "name",
            "kind",
            "helpline",
            "profile",
            "watch_folder",
            "pull_url",
            "pull_every_minutes",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "helpline" in self.fields:
            self.fields["helpline"].queryset = Organisation.objects.filter(
                kind=Organisation.Kind.HELPLINE
            )

    def spec(self) -> SourceSpec:
        data = self.cleaned_data
        return SourceSpec(
            slug=data.get("slug") or self.instance.slug,
            name=data.get("name") or "",
            profile=data.get("profile"),
            kind=data.get("kind") or "",
            helpline=data.get("helpline"),
            watch_folder=data.get("watch_folder") or "",
            pull_url=data.get("pull_url") or "",
            pull_every_minutes=data.get("pull_every_minutes"),
            is_active=bool(data.get("is_active")),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.has_error("profile") or self.has_error("kind"):
            return data  # the profile cannot be read as a profile of a kind yet
        for field, messages in check(self.spec()).items():
            target = field if field in self.fields and not self.has_error(field) else None
            for message in messages:
                self.add_error(target, message)
        return data


@admin.register(FeedSource)
class FeedSourceAdmin(SystemWideAdmin, HistoryAdmin):
    form = FeedSourceForm
    list_display = [
        "name",
        "slug",
        "kind",
        "helpline",
        "profile_version",
        "is_active",
        "pull_every_minutes",
        "last_pulled_at",
        "last_pull_error",
    ]
    list_filter = ["kind", "is_active", "helpline"]
    search_fields = ["name", "slug"]
    list_select_related = ["helpline"]
    fieldsets = [
        (None, {"fields": ["slug", "name", "kind", "helpline", "is_active"]}),
        ("Profile", {"fields": ["profile", "profile_version"]}),
        (
            "Scheduled pulls",
            {
                "fields": [
                    "watch_folder",
                    "pull_url",
                    "pull_every_minutes",
                    "last_pulled_at",
                    "last_pull_error",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        kept = ["profile_version", "last_pulled_at", "last_pull_error"]
        # The slug names the source in commands, addresses and its pull job: fixed once made.
        return [*kept, "slug"] if obj is not None else kept

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        source, _ = save_source(form.spec(), actor=request.user)
        obj.pk = source.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # batches and records point at it: switch it off with "active"


class RowErrorInline(admin.TabularInline):
    model = RowError
    fields = ["row", "field", "message"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(ImportBatch)
class ImportBatchAdmin(SystemWideAdmin, admin.ModelAdmin):
    list_display = [
        "pk",
        "source",
        "status",
        "dry_run",
        "origin",
        "file_name",
        "created_at",
        "rows",
        "new",
        "updated",
        "unchanged",
        "rejected",
        "cases_opened",
    ]
    list_filter = ["status", "origin", "dry_run", "source"]
    list_select_related = ["source"]
    date_hierarchy = "created_at"
    # where the file is kept on disk is the import's business, not the reader's
    exclude = ["stored_file"]
    inlines = [RowErrorInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PartnerEventType)
class PartnerEventTypeAdmin(SystemWideAdmin, HistoryAdmin):
    list_display = ["label", "code", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["label", "code"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retire a type with "active": events already received keep their words


@admin.register(Partner)
class PartnerAdmin(SystemWideAdmin, HistoryAdmin):
    # The secrets are never shown, nor their history (the model's history leaves them out).
    fields = ["slug", "name", "url", "helpline", "is_active", "previous_secret_until", "created_at"]
    readonly_fields = fields  # the history's version page builds a form too: none to fill
    list_display = ["name", "slug", "helpline", "url", "is_active", "previous_secret_until"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # create_partner makes them and prints the secret once

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
