"""Organisations, staff and API tokens in the admin.

An organisation's admin (role "admin") sees and edits their own organisation and its staff only,
gives only the roles that organisation has (accounts.roles), and never reaches a superuser. Nobody
sets superuser status, admin-site access, groups or single permissions here: groups and admin
access follow the role (accounts.services.set_role), and superusers come from `createsuperuser`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin_history import HistoryAdmin
from accounts.lockout import unlock
from accounts.models import ApiToken, Organisation, User
from accounts.roles import grantable_roles
from accounts.services import reset_second_factor, revoke_api_tokens, set_role

admin.site.site_header = "Lantern administration"
admin.site.site_title = "Lantern"

# Roles are code (accounts.roles) put back into their groups at every migrate: a group edited here
# to hold a case permission would hand it to everyone with that role until then.
admin.site.unregister(Group)
# Second factors are reset with the staff action below. These pages would show authenticator
# secrets, and static tokens (kept in plain text) are not used: accounts.backup_codes instead.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


def _own_organisation_only(request: HttpRequest) -> bool:
    return not request.user.is_superuser


# Organisations ------------------------------------------------------------------------------------


class OrganisationForm(forms.ModelForm):
    def clean_phone_number(self) -> str:
        number = self.cleaned_data.get("phone_number", "")
        # Two organisations with one number: the other's calls and texts would reach the wrong one.
        taken = Organisation.objects.filter(phone_number=number).exclude(pk=self.instance.pk)
        if number and taken.exists():
            raise ValidationError("Another organisation already has this number.")
        return number


@admin.register(Organisation)
class OrganisationAdmin(HistoryAdmin):
    form = OrganisationForm
    list_display = ["name", "slug", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        queryset = super().get_queryset(request)
        if _own_organisation_only(request):
            return queryset.filter(pk=request.user.organisation_id)
        return queryset

    def get_readonly_fields(self, request: HttpRequest, obj: Organisation | None = None) -> list:
        if _own_organisation_only(request):
            # what it is and whether it works decide whose cases its staff reach
            return ["slug", "kind", "is_active"]
        return []

    def get_prepopulated_fields(self, request: HttpRequest, obj: object = None) -> dict:
        return {} if _own_organisation_only(request) else self.prepopulated_fields

    def get_list_filter(self, request: HttpRequest) -> list:
        return [] if _own_organisation_only(request) else self.list_filter

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Organisation | None = None) -> bool:
        return super().has_view_permission(request, obj) and _may_reach_organisation(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Organisation | None = None) -> bool:
        return super().has_change_permission(request, obj) and _may_reach_organisation(request, obj)


def _may_reach_organisation(request: HttpRequest, obj: Organisation | None) -> bool:
    return (
        obj is None
        or not _own_organisation_only(request)
        or (obj.pk == request.user.organisation_id)
    )


# Staff --------------------------------------------------------------------------------------------


@admin.action(
    description="Reset two-step sign-in (the person enrols again at next sign-in)",
    permissions=["change"],
)
def reset_second_factor_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    deleted = reset_second_factor(users=list(queryset), actor=request.user)
    modeladmin.message_user(request, f"Removed {deleted} device(s).", messages.SUCCESS)


@admin.action(
    description="Unlock sign-in (lift a lock-out after failed attempts)", permissions=["change"]
)
def unlock_sign_in_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    unlock(queryset.values_list("username", flat=True))
    modeladmin.message_user(request, "Sign-in unlocked.", messages.SUCCESS)


@admin.action(description="Revoke API tokens (they stop working at once)", permissions=["change"])
def revoke_tokens_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    revoked = revoke_api_tokens(
        tokens=list(ApiToken.objects.filter(user__in=queryset)), actor=request.user
    )
    modeladmin.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


# What nobody sets in this admin (see the module's docstring).
_NEVER_EDITED = {"is_superuser", "is_staff", "groups", "user_permissions"}


@admin.register(User)
class StaffAdmin(UserAdmin, HistoryAdmin):
    list_display = ["username", "organisation", "role", "is_active", "last_login"]
    list_filter = ["role", "organisation", "is_active"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email", "phone"]}),
        ("Lantern", {"fields": ["organisation", "role", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "password1", "password2"]}),
        ("Lantern", {"fields": ["organisation", "role", "email", "phone"]}),
    ]
    actions = [reset_second_factor_action, unlock_sign_in_action, revoke_tokens_action]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request).select_related("organisation")
        if _own_organisation_only(request):
            if request.user.organisation_id is None:
                return queryset.none()
            return queryset.filter(organisation_id=request.user.organisation_id, is_superuser=False)
        return queryset

    def get_list_filter(self, request: HttpRequest) -> list:
        return ["role", "is_active"] if _own_organisation_only(request) else self.list_filter

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> list:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None and _own_organisation_only(request):
            # new staff join the admin's own organisation (save_model)
            return [
                (name, {**options, "fields": [f for f in options["fields"] if f != "organisation"]})
                for name, options in fieldsets
            ]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list:
        readonly = ["last_login", "date_joined"]
        if _own_organisation_only(request):
            readonly.append("organisation")
        if obj is not None and obj.pk == request.user.pk:
            # nobody gives themselves a role, or switches themselves off
            readonly += ["organisation", "role", "is_active"]
        return list(dict.fromkeys(readonly))

    def get_form(self, request: HttpRequest, obj: User | None = None, **kwargs: object) -> type:
        form = super().get_form(request, obj, **kwargs)
        if _NEVER_EDITED & set(form.base_fields):  # a fieldset edited upstream must not slip one in
            raise ImproperlyConfigured("A security field reached the staff form.")
        if "role" in form.base_fields:
            role = form.base_fields["role"]
            # staff always have one; a superuser from createsuperuser may have none
            role.required = obj is None or not obj.is_superuser
            kinds = (
                [request.user.organisation.kind]
                if _own_organisation_only(request) and request.user.organisation
                else list(Organisation.Kind.values)
            )
            offered = set().union(*(grantable_roles(request.user, kind) for kind in kinds))
            role.choices = [("", "---------")] + [
                (value, label) for value, label in User.Role.choices if value in offered
            ]
        actor = request.user
        base_clean = form.clean

        def clean(form_self: forms.ModelForm) -> dict:
            data = base_clean(form_self)
            organisation = data.get("organisation") or (
                form_self.instance.organisation if obj is not None else None
            )
            if _own_organisation_only(request):
                organisation = actor.organisation
            role = data.get("role")
            if role and organisation is None:
                raise ValidationError({"role": "Choose the person's organisation first."})
            if role and role not in grantable_roles(actor, organisation.kind):
                raise ValidationError(
                    {"role": f"A {organisation.get_kind_display().lower()} has no {role} role."}
                )
            return data

        form.clean = clean
        return form

    def has_view_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return super().has_view_permission(request, obj) and _may_reach_staff(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return super().has_change_permission(request, obj) and _may_reach_staff(request, obj)

    def save_model(self, request: HttpRequest, obj: User, form: object, change: bool) -> None:
        if _own_organisation_only(request):
            obj.organisation = request.user.organisation
        role = obj.role
        super().save_model(request, obj, form, change)
        if role and obj.pk != request.user.pk:
            set_role(user=obj, role=role, actor=request.user)  # role group and admin flag follow


def _may_reach_staff(request: HttpRequest, obj: User | None) -> bool:
    if obj is None or not _own_organisation_only(request):
        return True
    return not obj.is_superuser and obj.organisation_id == request.user.organisation_id


# API tokens ---------------------------------------------------------------------------------------


@admin.action(description="Revoke (the token stops working at once)", permissions=["change"])
def revoke_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[ApiToken]
) -> None:
    revoked = revoke_api_tokens(tokens=list(queryset), actor=request.user)
    modeladmin.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by `manage.py issue_token` and shown once; here they are only listed and
    revoked. The digest is never shown."""

    list_display = ["pk", "user", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    list_display_links = None
    actions = [revoke_action]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        queryset = super().get_queryset(request).select_related("user")
        if _own_organisation_only(request):
            return queryset.filter(
                user__organisation_id=request.user.organisation_id, user__is_superuser=False
            )
        return queryset

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return super().has_view_permission(request, obj) and (
            obj is None or _may_reach_staff(request, obj.user)
        )

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        # the list's revoke action only: a token has nothing to edit
        return obj is None and super().has_change_permission(request, obj)
