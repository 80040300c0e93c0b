"""Reads for the public library (/help/): the languages it has, its topics, a page of articles
in a language (searched, or of one topic) and one article's text. Built for hundreds of articles:
a page is one query for the rows and one for the count, whatever the library's size; an article
is one query."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Min, OuterRef, QuerySet, Subquery
from django.http import Http404

from portal.articles import published_texts
from portal.models import Article, ArticleTag, ArticleText

# Each language by its own name, as a switcher shows it; a language not here shows its code.
LANGUAGE_NAMES = {
    "en": "English",
    "cy": "Cymraeg",
    "pl": "Polski",
    "ro": "Română",
    "pa": "ਪੰਜਾਬੀ",
    "ur": "اردو",
    "bn": "বাংলা",
    "ar": "العربية",
    "so": "Soomaali",
    "pt": "Português",
    "es": "Español",
    "fr": "Français",
}
DEFAULT_LANGUAGE = "en"
# A search longer than this is cut: nobody types more, and each word is a filter.
MAX_QUERY_CHARS = 100
MAX_QUERY_WORDS = 8


@dataclass(frozen=True)
class Language:
    code: str
    name: str


def library_languages() -> list[Language]:
    """The languages published articles are written in, English first."""
    codes = set(
        ArticleText.objects.filter(article__is_published=True)
        .values_list("language", flat=True)
        .distinct()
    )
    codes.add(DEFAULT_LANGUAGE)
    ordered = sorted(codes, key=lambda code: (code != DEFAULT_LANGUAGE, code))
    return [Language(code, LANGUAGE_NAMES.get(code, code)) for code in ordered]


def choose_language(requested: str | None, languages: list[Language]) -> str:
    """The requested language if the library has it, else English."""
    return requested if requested in {language.code for language in languages} else "en"


def search_words(query: str) -> list[str]:
    """The words to look for: small letters, no control characters (PostgreSQL refuses a NUL, and
    none is in any article), at most MAX_QUERY_WORDS of them."""
    printable = "".join(ch if ch.isprintable() else " " for ch in query[:MAX_QUERY_CHARS])
    return printable.lower().split()[:MAX_QUERY_WORDS]


def list_library_texts(*, language: str, query: str = "", topic: str = "") -> QuerySet[ArticleText]:
    """Published articles in `language` (English where there is no text in it), each with every
    word of `query` in its title, summary or body, or of one topic; grouped by their topic (in
    `topic_label`), then by position."""
    texts = published_texts(language).select_related("article")
    for word in search_words(query):
        texts = texts.filter(search_text__icontains=word)
    if topic:
        texts = texts.filter(article__tags__kind=ArticleTag.Kind.TOPIC, article__tags__code=topic)
    # An article's topic is its first one in the library's order: topics come in the order of
    # their first article's position (admins order topics by ordering articles).
    first_topic = (
        ArticleTag.objects.filter(kind=ArticleTag.Kind.TOPIC, articles=OuterRef("article"))
        .annotate(rank=Subquery(_topic_rank()))
        .order_by("rank", "label")
    )
    return texts.annotate(
        topic_label=Subquery(first_topic.values("label")[:1]),
        topic_rank=Subquery(first_topic.values("rank")[:1]),
    ).order_by(
        F("topic_rank").asc(nulls_last=True),
        "topic_label",
        "article__position",
        "article__slug",
        "pk",
    )


def _topic_rank() -> QuerySet[Article]:
    """The position of the first published article of the outer topic."""
    return (
        Article.objects.filter(tags=OuterRef("pk"), is_published=True)
        .order_by("position")
        .values("position")[:1]
    )


def list_topics() -> QuerySet[ArticleTag]:
    """Topics that have published articles, in the library's order, with how many
    (`article_count`)."""
    return (
        ArticleTag.objects.filter(kind=ArticleTag.Kind.TOPIC, articles__is_published=True)
        .annotate(article_count=Count("articles", distinct=True), rank=Min("articles__position"))
        .order_by("rank", "label")
    )


def get_article_text(slug: str, language: str) -> tuple[ArticleText, list[str]]:
    """A published article's text in `language`, else in English, else in any language it has;
    and the languages it is written in. 404 for an unpublished or unknown article."""
    texts = {
        text.language: text
        for text in ArticleText.objects.filter(
            article__slug=slug, article__is_published=True
        ).select_related("article")
    }
    if not texts:
        raise Http404
    text = texts.get(language) or texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()))
    return text, sorted(texts, key=lambda code: (code != DEFAULT_LANGUAGE, code))
