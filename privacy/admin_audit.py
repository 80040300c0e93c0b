"""Unusual-access alerts in the admin: a list only (they are raised by privacy.unusual and marked
reviewed on /privacy/access/, so the admin can neither make nor clear one)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_access import ListOnlyAdmin
from privacy.models import AccessAlert


@admin.register(AccessAlert)
class AccessAlertAdmin(ListOnlyAdmin):
    list_display = ["user", "kind", "window_start", "reads", "reviewed_by", "reviewed_at"]
    list_filter = ["kind"]
    date_hierarchy = "window_start"
