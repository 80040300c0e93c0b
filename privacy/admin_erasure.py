"""Erasure requests in the admin: a read-only list of ids, ground, status and who decided when, with
neither the reasons nor the decision note (they are the officers' words about a person; the DPO's
pages under /privacy/erasure/ are where a request is made and decided)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from privacy.models import ErasureRequest


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "person_id",
        "ground",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", "ground"]
    date_hierarchy = "requested_at"
    # The list is all there is: no row page, so no reasons are shown or changed here.
    list_display_links = None

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None and super().has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
