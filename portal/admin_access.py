"""Portal accesses in the admin: a read-only list (case number, status, dates, how many
invitations) for superusers and helpline administrators, who answer "is this victim's portal
working?" without opening cases. A helpline's administrator sees their own helpline's cases only;
a CSO's or a monitor's administrator none. Nothing is changed here: inviting, revoking and
unlocking are the case page's (portal.access_services), where the case access policy and the
history reason apply. Never the duress code's hash or the sign-in codes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin_access import administers_system_wide
from portal.models import PortalAccess

SHOWN = [
    "case_number",
    "status",
    "invited_at",
    "invitations_sent",
    "last_signed_in_at",
    "locked_until",
    "revoked_at",
]


@admin.register(PortalAccess)
class PortalAccessAdmin(admin.ModelAdmin):
    list_display = SHOWN
    list_filter = ["status"]
    search_fields = ["case__number"]  # a reference exactly as staff have it
    list_select_related = ["case"]
    date_hierarchy = "invited_at"
    fields = SHOWN
    readonly_fields = SHOWN
    ordering = ["-invited_at"]

    @admin.display(description="Case", ordering="case__number")
    def case_number(self, access: PortalAccess) -> str:
        return access.case.number

    def get_queryset(self, request: HttpRequest) -> QuerySet[PortalAccess]:
        queryset = super().get_queryset(request).select_related("case")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(case__helpline_id=getattr(request.user, "organisation_id", None))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return administers_system_wide(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administers_system_wide(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
