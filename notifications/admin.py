"""Admins edit the words sent to victims at milestones (DESIGN rule 10) and may look over the outbox
to see that messages flow. The outbox is written only by notifications.services: read-only here,
and without what a message said or where it went."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from notifications.models import MessageTemplate, Notification


@admin.register(MessageTemplate)
class MessageTemplateAdmin(SimpleHistoryAdmin):
    """The model checks the words on save (unknown placeholders refused, with the reason on the
    form) and marks a template that names an organisation: shown here, never typed."""

    list_display = ["milestone", "language", "channel", "is_active", "names_organisation"]
    list_editable = ["is_active"]
    list_filter = ["milestone", "language", "channel", "is_active", "names_organisation"]
    search_fields = ["text", "subject"]
    readonly_fields = ["names_organisation"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # retire a template with "active": its history says what was sent before


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["kind", "channel", "status", "case_number", "created_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["case_number"]
    date_hierarchy = "created_at"
    # The list is all there is: a row's own page would show its text and where it went.
    list_display_links = None

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None and super().has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
