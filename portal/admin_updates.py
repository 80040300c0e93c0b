"""Update message types in the admin (issue 14.5, DESIGN rule 10): what sets each off, its
channels and its words per language on one page. The words go to every helpline's victims, so
the pages are system-wide: superusers and helpline administrators (accounts.admin_access).

Built for a long list (the seed speaks of 120 kinds): filtered by trigger, searched by name,
code and event, in the admins' own order. A type is never deleted (the updates already on
victims' timelines point at it): it is retired with "active". Notice words that name an
organisation are allowed (a victim may not mind) but warned of on saving: they are never sent to
a victim who asked us not to name one (notifications.victim_messages reads an admin's words
against every organisation Lantern knows)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from accounts.admin_access import SystemWideAdmin
from accounts.admin_history import HistoryAdmin
from notifications.models import names_an_organisation
from portal.models import UpdateText, UpdateType
from portal.update_forms import UpdateTextForm, UpdateTextFormSet, UpdateTypeForm


class UpdateTextInline(admin.StackedInline):
    model = UpdateText
    form = UpdateTextForm
    formset = UpdateTextFormSet
    extra = 0
    min_num = 1
    fields = ["language", "title", "body", "subject", "notice"]


@admin.register(UpdateType)
class UpdateTypeAdmin(SystemWideAdmin, HistoryAdmin):
    form = UpdateTypeForm
    inlines = [UpdateTextInline]
    list_display = ["name", "code", "trigger", "event", "languages", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["trigger", "is_active"]
    search_fields = ["name", "code", "event"]
    ordering = ["position", "name"]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[UpdateType]:
        return super().get_queryset(request).prefetch_related("texts")

    @admin.display(description="Languages")
    def languages(self, obj: UpdateType) -> str:
        return ", ".join(sorted(text.language for text in obj.texts.all()))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # other code and the outbox ("victim.<code>") know a type by its code
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retire a type with "active": updates already sent point at it

    def save_formset(
        self, request: HttpRequest, form: Any, formset: BaseInlineFormSet, change: bool
    ) -> None:
        super().save_formset(request, form, formset, change)
        for text in formset.instance.texts.all():
            if names_an_organisation(text.notice, text.subject):
                messages.warning(
                    request,
                    f"The {text.language} notice names an organisation (or says "
                    '"helpline"). It is never sent to a victim who asked us not to name the '
                    "organisation, so they would not be told of this update: neutral words "
                    "reach everyone safely.",
                )
