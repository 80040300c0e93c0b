"""Subject access requests in the admin: a read-only list of dates and status, with neither the
export nor its file's name (the DPO's pages under /privacy/subject-access/ are where it is made)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from privacy.models import SubjectAccessRequest


@admin.register(SubjectAccessRequest)
class SubjectAccessRequestAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "person_id",
        "received_on",
        "due_on",
        "status",
        "exported_at",
        "expires_at",
    ]
    list_filter = ["status"]
    date_hierarchy = "due_on"
    # The list is all there is: no row page, so nothing of an export is shown or changed here.
    list_display_links = None

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None and super().has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
