"""Reads of staff."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User


def with_permissions(staff: QuerySet[User], *permissions: str) -> QuerySet[User]:
    """Those of `staff` whose role grants every one of these permissions ("app_label.codename")."""
    for permission in permissions:
        app_label, codename = permission.split(".")
        staff = staff.filter(
            groups__permissions__codename=codename,
            groups__permissions__content_type__app_label=app_label,
        )
    return staff.distinct()


def staff_with(organisation_id: int | None, *permissions: str) -> QuerySet[User]:
    """The active staff of an organisation who hold these permissions: whom to tell."""
    active = User.objects.filter(organisation_id=organisation_id, is_active=True)
    return with_permissions(active, *permissions)
