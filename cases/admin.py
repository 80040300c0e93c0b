"""Admins edit the configurable lists here (DESIGN rule 10). Case content is not administered here:
cases change only through their services, and admins do not see case content by default. The lists
and the deadlines describe every organisation's cases, so they are system-wide: a CSO's or a
monitor's administrator does not reach them (accounts.admin_access)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin_access import SystemWideAdmin, administers_system_wide
from accounts.admin_history import HistoryAdmin
from accounts.models import Organisation, User
from cases.models import (
    Area,
    Case,
    Category,
    ContactType,
    DiscardReason,
    Flag,
    FollowUpKind,
    Language,
    ReferenceType,
    Relationship,
    RoutingRule,
    ServiceType,
    Team,
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


# Teams and routing (cases.routing) ---------------------------------------------------------------
# A helpline's own configuration: its administrators edit their helpline's teams and rules, a
# superuser every helpline's. Supervisors read the rules on the console's team page.


def _own_helpline_only(request: HttpRequest) -> bool:
    return not request.user.is_superuser


class HelplineConfigAdmin(HistoryAdmin):
    """Rows of one helpline: a helpline's administrator sees and adds only their own helpline's
    (the helpline field is theirs, fixed); CSO and monitor administrators none at all."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request).select_related("helpline")
        if _own_helpline_only(request):
            return queryset.filter(helpline_id=request.user.organisation_id)
        return queryset

    def has_module_permission(self, request: HttpRequest) -> bool:
        return administers_system_wide(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administers_system_wide(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return administers_system_wide(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administers_system_wide(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch off with "active": a case's history still names its team

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["helpline"] if _own_helpline_only(request) else []

    def get_list_filter(self, request: HttpRequest) -> list[str]:
        return ["is_active"] if _own_helpline_only(request) else ["helpline", "is_active"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if _own_helpline_only(request):
            obj.helpline = request.user.organisation
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "helpline":
            kwargs["queryset"] = Organisation.objects.filter(kind=Organisation.Kind.HELPLINE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @staticmethod
    def helpline_of(request: HttpRequest, form: forms.ModelForm) -> Organisation | None:
        if _own_helpline_only(request):
            return request.user.organisation
        return form.cleaned_data.get("helpline") or getattr(form.instance, "helpline", None)


class TeamForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        choices=Case.Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The channels this team answers; none ticked: any.",
    )

    class Meta:
        model = Team
        fields = ["helpline", "name", "areas", "languages", "channels", "specialisms", "members",
                  "is_active"]  # fmt: skip


@admin.register(Team)
class TeamAdmin(HelplineConfigAdmin):
    form = TeamForm
    list_display = ["name", "helpline", "is_active"]
    search_fields = ["name"]
    filter_horizontal = ["areas", "languages", "specialisms", "members"]

    def get_form(self, request: HttpRequest, obj: Team | None = None, **kwargs: Any) -> type:
        base = super().get_form(request, obj, **kwargs)
        helpline_id = request.user.organisation_id if _own_helpline_only(request) else None
        if obj is not None:
            helpline_id = obj.helpline_id
        admin_page = self

        class ScopedTeamForm(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, **form_kwargs)
                staff = User.objects.filter(
                    is_active=True,
                    role__in=[User.Role.OPERATOR, User.Role.SUPERVISOR],
                    organisation__kind=Organisation.Kind.HELPLINE,
                ).order_by("username")
                if helpline_id is not None:
                    staff = staff.filter(organisation_id=helpline_id)
                if "members" in self.fields:
                    self.fields["members"].queryset = staff

            def clean(self) -> dict[str, Any]:
                data = super().clean()
                helpline = admin_page.helpline_of(request, self)
                if any(
                    helpline is None or member.organisation_id != helpline.pk
                    for member in data.get("members") or []
                ):
                    self.add_error("members", "Members must be staff of the team's helpline.")
                return data

        return ScopedTeamForm


class RoutingRuleForm(forms.ModelForm):
    channel = forms.ChoiceField(
        choices=[("", "Any"), *Case.Channel.choices], required=False, label="Channel"
    )

    class Meta:
        model = RoutingRule
        fields = ["helpline", "position", "team", "force", "area", "category", "language",
                  "channel", "is_active"]  # fmt: skip


@admin.register(RoutingRule)
class RoutingRuleAdmin(HelplineConfigAdmin):
    """A helpline's rules, tried by position; the first whose every condition holds wins."""

    form = RoutingRuleForm
    list_display = ["position", "team", "force", "area", "category", "language", "channel",
                    "is_active", "helpline"]  # fmt: skip
    list_display_links = ["team"]
    list_editable = ["position", "is_active"]
    ordering = ["helpline", "position", "pk"]

    def get_form(self, request: HttpRequest, obj: RoutingRule | None = None, **kwargs: Any) -> type:
        base = super().get_form(request, obj, **kwargs)
        helpline_id = request.user.organisation_id if _own_helpline_only(request) else None
        if obj is not None:
            helpline_id = obj.helpline_id
        admin_page = self

        class ScopedRuleForm(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, **form_kwargs)
                if helpline_id is not None and "team" in self.fields:
                    self.fields["team"].queryset = Team.objects.filter(helpline_id=helpline_id)

            def clean(self) -> dict[str, Any]:
                data = super().clean()
                helpline, team = admin_page.helpline_of(request, self), data.get("team")
                if team is not None and (helpline is None or team.helpline_id != helpline.pk):
                    self.add_error("team", "Choose a team of the rule's helpline.")
                return data

        return ScopedRuleForm
