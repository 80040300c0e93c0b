"""Each helpline's ringing settings in the admin (live.LineSettings). A helpline's administrator
sees and edits their own helpline's row only; a superuser every helpline's. Nobody else reaches
the page: a CSO's or a monitor's administrator does not decide how a helpline's phones ring
(accounts.admin_access)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from accounts.admin_access import SystemWideAdmin, administers_system_wide
from accounts.models import Organisation
from live.models import LineSettings


def _reaches(request: HttpRequest, obj: LineSettings | None) -> bool:
    """A superuser reaches every helpline's row; a helpline's administrator their own only."""
    user = request.user
    return obj is None or user.is_superuser or obj.helpline_id == user.organisation_id


@admin.register(LineSettings)
class LineSettingsAdmin(SystemWideAdmin):
    """SystemWideAdmin first: superusers and helpline administrators only (and only with the
    role's permissions, accounts.roles); then each row is its own helpline's."""

    list_display = ["helpline", "ring_mode", "ring_seconds", "wrap_up_seconds"]
    fields = ["helpline", "ring_mode", "ring_seconds", "wrap_up_seconds"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LineSettings]:
        rows = super().get_queryset(request).select_related("helpline")
        # Scoped only for those SystemWideAdmin lets in: anyone else is refused every page with a
        # 403, which Django's history page gives only for a row it found (a 302 otherwise).
        if request.user.is_superuser or not administers_system_wide(request.user):
            return rows
        return rows.filter(helpline_id=request.user.organisation_id)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["helpline"] if obj is not None else []  # a row stays its helpline's

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name == "helpline":
            helplines = Organisation.objects.filter(kind=Organisation.Kind.HELPLINE)
            if not request.user.is_superuser:
                helplines = helplines.filter(pk=request.user.organisation_id)
            kwargs["queryset"] = helplines
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and _reaches(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and _reaches(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # a row deleted puts the helpline back on the defaults; the roles give no delete
        return super().has_delete_permission(request, obj) and _reaches(request, obj)
