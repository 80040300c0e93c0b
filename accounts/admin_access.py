"""Who administers what beyond their own organisation's staff.

Some settings hold for every organisation at once: the periodic jobs and their timings, the
deadlines by priority, the lookups every case is described with (categories, areas, follow-up
kinds, service types, discard reasons, relationships) and the words sent to every helpline's
victims. They are for superusers and a helpline's administrators, who run the casework they
shape. A CSO's or a monitor's administrator holds the same role (accounts.roles), for their own
organisation's staff, and does not reach them: a CSO would otherwise set the time it has to answer
referrals, stop the sweep that sends victims' messages, or rewrite what victims are told."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


def administers_system_wide(user: Any) -> bool:
    """A superuser (createsuperuser), or an administrator of a helpline."""
    from accounts.models import Organisation, User

    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    organisation = getattr(user, "organisation", None)
    return (
        getattr(user, "role", None) == User.Role.ADMIN
        and organisation is not None
        and organisation.kind == Organisation.Kind.HELPLINE
    )


class SystemWideAdmin(admin.ModelAdmin):
    """Put first among a page's bases: every permission the admin asks (the index, the list, add,
    change, delete, and the history pages, which ask for view or change) is refused to anyone
    administers_system_wide turns away, whatever their group's permissions say."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return administers_system_wide(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administers_system_wide(request.user) and super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administers_system_wide(request.user) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return administers_system_wide(request.user) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administers_system_wide(request.user) and super().has_delete_permission(request, obj)


class ListOnlyAdmin(admin.ModelAdmin):
    """A list and nothing else: no row page (where a row's words would show), and nothing added,
    changed or deleted here (the outbox, erasure and subject-access requests)."""

    list_display_links = None

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
