"""Erasure requests in the admin: a read-only list of ids, ground, status and who decided when, with
neither the reasons nor the decision note (they are the officers' words about a person; the DPO's
pages under /privacy/erasure/ are where a request is made and decided)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin_access import ListOnlyAdmin
from privacy.models import ErasureRequest


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ListOnlyAdmin):
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
