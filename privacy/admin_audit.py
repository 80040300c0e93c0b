"""Unusual-access alerts in the admin: read-only (they are raised by privacy.unusual and marked
reviewed on /privacy/access/, so the admin can neither make nor clear one)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_access import SystemWideAdmin
from privacy.models import AccessAlert


@admin.register(AccessAlert)
class AccessAlertAdmin(SystemWideAdmin, admin.ModelAdmin):
    list_display = ["user", "kind", "window_start", "reads", "reviewed_by", "reviewed_at"]
    list_filter = ["kind"]
    date_hierarchy = "window_start"
    readonly_fields = list_display

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
