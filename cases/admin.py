"""Admins edit the configurable lists here (DESIGN rule 10). Case content is not administered here:
cases change only through their services, and admins do not see case content by default. The lists
and the deadlines describe every organisation's cases, so they are system-wide: a CSO's or a
monitor's administrator does not reach them (accounts.admin_access)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_access import SystemWideAdmin
from accounts.admin_history import HistoryAdmin
from cases.models import (
    Area,
    Category,
    ContactType,
    DiscardReason,
    Flag,
    FollowUpKind,
    Language,
    ReferenceType,
    Relationship,
    ServiceType,
)
from cases.targets import PriorityTarget


class LookupAdmin(SystemWideAdmin, HistoryAdmin):
    list_display = ["label", "code", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["label", "code"]

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False  # retire entries with "active", so old cases keep their meaning


# FollowUpKind: switching off "reply" stops the follow-ups a victim's message sets (referrals).
for model in (Category, ServiceType, DiscardReason, Relationship, Area, FollowUpKind, Language):
    admin.site.register(model, LookupAdmin)


@admin.register(Flag)
class FlagAdmin(LookupAdmin):
    """Shown as its icon with its label in the queue and on the case; `icon` names a Bootstrap Icon
    (static/vendor/bootstrap-icons), e.g. exclamation-octagon, people, translate."""

    list_display = ["label", "code", "icon", "is_active", "position"]


@admin.register(PriorityTarget)
class PriorityTargetAdmin(SystemWideAdmin, HistoryAdmin):
    """Deadlines by priority (cases.targets): a row per priority, seeded on migrate, changed here."""

    list_display = ["priority", "sla_minutes", "accept_hours"]
    list_editable = ["sla_minutes", "accept_hours"]
    readonly_fields = ["priority"]

    def has_add_permission(self, request: object) -> bool:
        return False  # one row per priority, each there since migrate

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ContactType)
class ContactTypeAdmin(LookupAdmin):
    """An "address" shape keeps its history by moves; "masked" ones are hidden until shown."""

    list_display = [*LookupAdmin.list_display, "shape", "masked"]


@admin.register(ReferenceType)
class ReferenceTypeAdmin(LookupAdmin):
    list_display = [*LookupAdmin.list_display, "applies_to", "issuer_label"]
