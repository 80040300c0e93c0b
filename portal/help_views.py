"""The public library's pages (/help/): no sign-in, nothing cached, plain links for everything
(language, topic, pages), so they work without JavaScript. The search words are in the query
string: they are what a visitor looks for, never who they are."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import public
from portal import article_search, session
from portal.menu import portal_nav
from portal.models import Article

PER_PAGE = 20


@public
@never_cache
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    languages = article_search.library_languages()
    language = article_search.choose_language(request.GET.get("lang"), languages)
    query = " ".join(article_search.search_words(request.GET.get("q", "")))
    topics = list(article_search.list_topics())
    topic = next((tag for tag in topics if tag.code == request.GET.get("topic")), None)
    texts = article_search.list_library_texts(
        language=language, query=query, topic=topic.code if topic else ""
    )
    page = Paginator(texts, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/help/library.html",
        {
            **_signed_in_menu(request),
            "page": page,
            "query": query,
            "searched": "q" in request.GET,
            "topic": topic,
            "topics": topics,
            **_language_context(languages, language),
        },
    )


@public
@never_cache
@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    languages = article_search.library_languages()
    language = article_search.choose_language(request.GET.get("lang"), languages)
    text, _ = article_search.get_article_text(slug, language)
    return render(
        request,
        "portal/help/article.html",
        {
            **_signed_in_menu(request),
            "text": text,
            "fell_back": text.language != language,
            **_language_context(languages, language),
        },
    )


@public
@never_cache
@require_GET
def short_link(request: HttpRequest, number: int) -> HttpResponse:
    """The neutral link sent to a victim (portal.articles.article_link): the article, shown at
    this address (a redirect would put its slug in the address bar and the history)."""
    found = get_object_or_404(Article, pk=number, is_published=True)
    return article(request, found.slug)


def _signed_in_menu(request: HttpRequest) -> dict[str, object]:
    """A victim signed in to the portal keeps their menu here, and reading counts as using the
    portal (its idle clock starts again): reading a recommended article must not sign them out."""
    if session.current(request) is None:
        return {}
    return {"portal_nav": portal_nav("help:library")}


def _language_context(languages: list[article_search.Language], language: str) -> dict:
    names = {choice.code: choice.name for choice in languages}
    return {
        "emergency_number": getattr(settings, "EMERGENCY_NUMBER", "999"),
        "languages": languages if len(languages) > 1 else [],
        "language": language,
        "language_name": names.get(language, language),
        # only in a link when it is not the default, so plain links stay plain
        "lang_param": language if language != article_search.DEFAULT_LANGUAGE else "",
    }
