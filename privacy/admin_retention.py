"""Retention in the admin: the periods per category (days only: the categories are Lantern's and
what each counts from is fixed, so no rule is added or removed), and the legal holds, read-only
(a list only: placed and lifted with a reason on /privacy/retention/, which keeps who and why)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_access import ListOnlyAdmin, SystemWideAdmin
from accounts.admin_history import HistoryAdmin
from privacy.models import LegalHold, RetentionRule


@admin.register(RetentionRule)
class RetentionRuleAdmin(SystemWideAdmin, HistoryAdmin):
    list_display = ["category", "days", "counted_from"]
    fields = ["category", "days", "counted_from"]
    readonly_fields = ["category", "counted_from"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(LegalHold)
class LegalHoldAdmin(ListOnlyAdmin):
    # the reason is not listed: it may name people, and the admin list is not where it is read
    list_display = ["pk", "case", "person", "placed_by", "placed_at", "lifted_by", "lifted_at"]
