"""Admins edit how alerts reach each role of their own organisation by default, and may look over
the outbox to see that messages flow (the words victims are sent are the update message types',
in the portal's admin). The outbox is written only by notifications.services: read-only here, and
without what a message said or where it went."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from accounts.admin_access import ListOnlyAdmin
from accounts.admin_history import HistoryAdmin
from accounts.models import Organisation, User
from accounts.roles import ROLE_PERMISSIONS, ROLES_BY_KIND
from notifications.models import AlertDefault, Notification
from notifications.services import ALERT_KINDS


@admin.register(Notification)
class NotificationAdmin(ListOnlyAdmin):
    list_display = ["kind", "channel", "status", "case_number", "created_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["case_number"]
    date_hierarchy = "created_at"


class AlertDefaultForm(forms.ModelForm):
    role = forms.ChoiceField(
        choices=[(r, label) for r, label in User.Role.choices if r != User.Role.ADMIN]
    )
    kind = forms.ChoiceField(label="Alert", choices=list(ALERT_KINDS.items()))

    class Meta:
        model = AlertDefault
        fields = ["organisation", "role", "kind", "email", "sms", "only_on_duty"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        organisation, role = data.get("organisation"), data.get("role")
        if organisation and role and role not in ROLES_BY_KIND.get(organisation.kind, set()):
            self.add_error("role", f"A {organisation.get_kind_display().lower()} has no {role}s.")
        if role and data.get("only_on_duty") and "cases.work_case" not in ROLE_PERMISSIONS[role]:
            # they have no on-duty switch: "only while on duty" would mean never
            self.add_error(
                "only_on_duty", f"{User.Role(role).label}s are never on duty: untick this."
            )
        return data


@admin.register(AlertDefault)
class AlertDefaultAdmin(HistoryAdmin):
    """How each alert reaches staff of a role who never chose for themselves (they may change it
    for themselves at /notifications/settings/). An organisation's admin sees and sets only their
    own organisation's."""

    form = AlertDefaultForm
    list_display = ["organisation", "role", "kind", "email", "sms", "only_on_duty"]
    list_filter = ["role", "kind"]

    def _organisations(self, request: HttpRequest) -> QuerySet[Organisation]:
        if request.user.is_superuser:
            return Organisation.objects.all()
        return Organisation.objects.filter(pk=getattr(request.user, "organisation_id", None))

    def get_queryset(self, request: HttpRequest) -> QuerySet[AlertDefault]:
        return (
            super()
            .get_queryset(request)
            .filter(organisation__in=self._organisations(request))
            .select_related("organisation")
        )

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        # simple_history falls back to the history of an object the queryset does not hold (as
        # for a deleted one): another organisation's defaults would show through it.
        self._own_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        self._own_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _own_or_404(self, request: HttpRequest, object_id: str) -> None:
        if not self.get_queryset(request).filter(pk=_number(object_id)).exists():
            raise Http404("No such alert default.")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "organisation":
            kwargs["queryset"] = self._organisations(request)
            kwargs["initial"] = getattr(request.user, "organisation_id", None)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _number(value: str) -> int | None:
    return int(value) if str(value).isdigit() else None
