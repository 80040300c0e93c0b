"""Admins edit the configurable lists here (DESIGN rule 10). Case content is not administered here:
cases change only through their services, and admins do not see case content by default."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cases.models import Area, Category, DiscardReason, Relationship, ServiceType


class LookupAdmin(SimpleHistoryAdmin):
    list_display = ["label", "code", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["label", "code"]

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False  # retire entries with "active", so old cases keep their meaning


for model in (Category, ServiceType, DiscardReason, Relationship, Area):
    admin.site.register(model, LookupAdmin)
