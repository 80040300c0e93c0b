"""The help library in the admin, for superusers and helpline administrators (system-wide: every
helpline's victims read the same library; accounts.admin_access).

- Articles with their texts inline (one per language), a preview of each text as the library
  shows it (sanitised by portal.articles.render), filters by tag and published, search over the
  words. Saving a text goes through portal.articles.save_text, which makes its HTML and search
  words. Retired by unpublishing, never deleted: links already sent to victims keep working
  until then and then answer "not found" like any unknown page.
- Tags: topics, case categories, stages, areas and audiences the portal recommends by."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.admin_access import SystemWideAdmin
from accounts.admin_history import HistoryAdmin
from portal.article_forms import ArticleTextForm
from portal.articles import save_text
from portal.models import Article, ArticleTag, ArticleText
from portal.rich_text import render
from project.history import attribute_change


class ArticleTextInline(admin.StackedInline):
    model = ArticleText
    form = ArticleTextForm
    extra = 0
    fields = ["language", "title", "summary", "body", "preview"]
    readonly_fields = ["preview"]

    @admin.display(description="Preview (as saved)")
    def preview(self, obj: ArticleText) -> str:
        if obj.pk is None:
            return "Shown once saved."
        # render() is the allow-list sanitiser: what it returns is safe to show as HTML.
        body = mark_safe(render(obj.body))  # noqa: S308 (nh3-sanitised)
        return format_html('<div class="help-preview" lang="{}">{}</div>', obj.language, body)


@admin.register(Article)
class ArticleAdmin(SystemWideAdmin, HistoryAdmin):
    list_display = ["slug", "english_title", "is_published", "position", "updated_at"]
    list_filter = ["is_published", "tags__kind", "tags"]
    list_editable = ["is_published", "position"]
    search_fields = ["slug", "texts__title", "texts__search_text"]
    filter_horizontal = ["tags"]
    fields = ["slug", "is_published", "position", "tags", "updated_at"]
    readonly_fields = ["updated_at"]
    inlines = [ArticleTextInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("texts")

    @admin.display(description="Title (English)")
    def english_title(self, obj: Article) -> str:
        titles = {text.language: text.title for text in obj.texts.all()}
        return titles.get("en") or next(iter(titles.values()), "")

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        # search_text is stored in small letters
        return super().get_search_results(request, queryset, search_term.lower())

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        attribute_change(obj, actor=request.user)
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ArticleText:
            super().save_formset(request, form, formset, change)
            return
        texts = formset.save(commit=False)
        for text in formset.deleted_objects:
            attribute_change(text, actor=request.user)
            text.delete()
        for text in texts:
            save_text(text=text, actor=request.user)
        formset.save_m2m()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # unpublish instead


@admin.register(ArticleTag)
class ArticleTagAdmin(SystemWideAdmin, admin.ModelAdmin):
    list_display = ["label", "kind", "code", "article_count"]
    list_filter = ["kind"]
    search_fields = ["label", "code"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(description="Articles", ordering="article_count")
    def article_count(self, obj: ArticleTag) -> int:
        return obj.article_count  # type: ignore[attr-defined]
