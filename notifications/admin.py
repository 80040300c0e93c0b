"""Admins edit how alerts reach each role of their own organisation by default, write and vet the
canned replies staff insert with `/` (UX.md 10), and may look over the outbox to see that messages
flow (the words victims are sent are the update message types', in the portal's admin). The outbox is written only by notifications.services: read-only here, and
without what a message said or where it went."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from accounts.admin_access import ListOnlyAdmin, SystemWideAdmin
from accounts.admin_history import HistoryAdmin
from accounts.models import Organisation, User
from accounts.roles import ROLE_PERMISSIONS, ROLES_BY_KIND
from notifications.canned import PLACEHOLDERS, placeholder_errors
from notifications.models import AlertDefault, CannedReply, Notification, names_an_organisation
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


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["helpline", "language", "shortcut", "title", "text", "is_active"]
        help_texts = {
            "text": "Plain words a victim may read on a shared phone. Placeholders filled when "
            "staff insert it: " + ", ".join(PLACEHOLDERS) + "; nothing else in braces.",
            "is_active": "Offered to staff. Untick to retire it (its history stays).",
        }

    def __init__(self, *args: Any, shared_allowed: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A helpline's admin writes for their own helpline only: the shared ones are a superuser's.
        if not shared_allowed and "helpline" in self.fields:
            self.fields["helpline"].required = True
            self.fields["helpline"].empty_label = None

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        errors = placeholder_errors(text)
        if errors:
            raise forms.ValidationError(errors)
        return text


@admin.register(CannedReply)
class CannedReplyAdmin(SystemWideAdmin, HistoryAdmin):
    """Superusers write the replies shared by every helpline; a helpline's administrator writes
    their own helpline's and sees the shared ones read-only. CSO and monitor administrators have
    no say in what helpline staff tell victims (accounts.admin_access)."""

    form = CannedReplyForm
    list_display = ["shortcut", "title", "helpline_or_all", "language", "is_active", "updated_at"]
    list_filter = ["is_active", "language"]
    search_fields = ["shortcut", "title"]
    ordering = ["shortcut", "helpline", "language"]

    @admin.display(description="Helpline", ordering="helpline__name")
    def helpline_or_all(self, obj: CannedReply) -> str:
        return obj.helpline.name if obj.helpline else "Every helpline"

    def get_queryset(self, request: HttpRequest) -> QuerySet[CannedReply]:
        rows = super().get_queryset(request).select_related("helpline", "language")
        if request.user.is_superuser:
            return rows
        own = getattr(request.user, "organisation_id", None)
        return rows.filter(Q(helpline_id=own) | Q(helpline__isnull=True))

    def _may_edit(self, request: HttpRequest, obj: CannedReply | None) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return obj.helpline_id is not None and obj.helpline_id == request.user.organisation_id

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change, **kwargs)
        shared_allowed = request.user.is_superuser

        class ScopedForm(form):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, shared_allowed=shared_allowed, **kw)

        return ScopedForm

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "helpline" and not request.user.is_superuser:
            own = getattr(request.user, "organisation_id", None)
            kwargs["queryset"] = Organisation.objects.filter(pk=own)
            kwargs["initial"] = own
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        # simple_history shows the history of a row the queryset does not hold (as for a deleted
        # one): another helpline's replies would show through it.
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        self._visible_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _visible_or_404(self, request: HttpRequest, object_id: str) -> None:
        if not self.get_queryset(request).filter(pk=_number(object_id)).exists():
            raise Http404("No such canned reply.")

    def save_model(self, request: HttpRequest, obj: CannedReply, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if names_an_organisation(obj.title, obj.text):
            messages.warning(
                request,
                f'/{obj.shortcut} names an organisation (or says "helpline"). It is not offered '
                "for a victim who asked us not to name the organisation: neutral words reach "
                "everyone safely.",
            )
