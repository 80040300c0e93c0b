"""Subject access requests in the admin: a read-only list of dates and status, with neither the
export nor its file's name (the DPO's pages under /privacy/subject-access/ are where it is made)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_access import ListOnlyAdmin
from privacy.models import SubjectAccessRequest


@admin.register(SubjectAccessRequest)
class SubjectAccessRequestAdmin(ListOnlyAdmin):
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
