"""The risk questionnaire, edited by administrators (DESIGN rule 10): its questions inline, which
count towards the score, which are critical, and the thresholds. System-wide like the other lists
(accounts.admin_access). Questions are retired, never deleted, so old answers keep their meaning;
assessments are case content and are not administered here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_access import SystemWideAdmin
from accounts.admin_history import HistoryAdmin
from risk.models import Question, Questionnaire


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["position", "section", "code", "text", "help_text", "counts", "critical", "is_active"]
    ordering = ["position", "pk"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Questionnaire)
class QuestionnaireAdmin(SystemWideAdmin, HistoryAdmin):
    list_display = ["name", "version", "is_active", "high_threshold", "medium_threshold"]
    list_filter = ["is_active"]
    inlines = [QuestionInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # assessments point at it; switch it off with "active" instead
