from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Organisation, User
from accounts.roles import ROLES_BY_KIND
from accounts.services import reset_second_factor, set_role

admin.site.site_header = "Lantern administration"
admin.site.site_title = "Lantern"


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.action(description="Reset two-step sign-in (the person enrols again at next sign-in)")
def reset_second_factor_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    deleted = reset_second_factor(users=list(queryset), actor=request.user)
    modeladmin.message_user(request, f"Removed {deleted} device(s).", messages.SUCCESS)


@admin.register(User)
class StaffAdmin(UserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "organisation", "role", "is_active", "last_login"]
    list_filter = ["role", "organisation", "is_active"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Lantern", {"fields": ["organisation", "role", "phone"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        ("Lantern", {"fields": ["organisation", "role"]}),
    ]
    actions = [reset_second_factor_action]

    def get_form(self, request: HttpRequest, obj: User | None = None, **kwargs: object) -> type:
        form = super().get_form(request, obj, **kwargs)

        def clean(form_self: object) -> dict:  # type: ignore[type-arg]
            data = base_clean(form_self)
            organisation, role = data.get("organisation"), data.get("role")
            if organisation and role and role not in ROLES_BY_KIND[organisation.kind]:
                raise ValidationError(
                    {"role": f"A {organisation.get_kind_display().lower()} has no {role} role."}
                )
            return data

        base_clean = form.clean
        form.clean = clean
        return form

    def save_model(self, request: HttpRequest, obj: User, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.role:
            set_role(
                user=obj, role=obj.role, actor=request.user
            )  # role group and admin flag follow
