"""The library's articles: their Markdown made into safe HTML, the ones a case's victim may find
useful (recommend), and staff sending one's link to the victim through the safe-contact gate.

Rendering: markdown-it (CommonMark and tables, raw HTML off, so typed tags are shown as text),
then nh3 with an allow-list as the last word, whatever markdown-it lets through. Images are
dropped, and their description kept as text: an image from another site tells that site who reads
what (and when), a picture on a shared phone says at a glance what the page is about, and the
pages aim to stay small for slow connections. Nothing an article needs is lost in words."""

from __future__ import annotations

import html
import re
from typing import Any

import nh3
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from markdown_it import MarkdownIt
from markdown_it.token import Token

from cases.models import Area, Case, Category
from cases.policy import can_change_case
from cases.workflow import CaseError, NotAllowedError
from notifications.models import Notification
from notifications.victim_messages import message_victim, victim_of
from portal import notices
from portal.models import Article, ArticleText
from project.history import attribute_change

ALLOWED_TAGS = {
    *("p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "br", "hr"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "ol": {"start"}}
# Relative links (another article, /report/) pass as they are; any other scheme goes.
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# The page has its own h1: an article's headings sit below it.
HEADING_LEVELS = {"h1": "h2", "h5": "h4", "h6": "h4"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _image_as_text(renderer: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return html.escape(tokens[idx].content)  # the image's description, never the image


_markdown.add_render_rule("image", _image_as_text)


def render(markdown: str) -> str:
    """Markdown typed by an admin -> HTML safe to show on a public page."""
    tokens = _markdown.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = HEADING_LEVELS.get(token.tag, token.tag)
    return sanitise(_markdown.renderer.render(tokens, _markdown.options, {}))


def sanitise(raw_html: str) -> str:
    """Only the allowed tags, attributes and link schemes: the last word on what a page shows,
    whatever the Markdown step let through. Scripts and styles go with their content."""
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def plain_words(*parts: str) -> str:
    """Lower-cased text of the parts (HTML tags removed), one space between words: what the
    library's search looks in."""
    text = " ".join(re.sub(r"<[^>]+>", " ", part) for part in parts)
    return " ".join(html.unescape(text).lower().split())


def prepare(text: ArticleText) -> None:
    """Fill the text's HTML and search words from what was typed (ArticleText.save calls it)."""
    text.body_html = render(text.body)
    text.search_text = plain_words(text.title, text.summary, text.body_html)


@transaction.atomic
def save_text(*, text: ArticleText, actor: AbstractBaseUser | None) -> ArticleText:
    """Save an article's text in a language (ArticleText.save makes its HTML and search words
    from its Markdown, through `prepare`), with who did it; the article's `updated_at` moves with
    it."""
    attribute_change(text, actor=actor)
    text.save()
    article = text.article
    article.updated_at = timezone.now()
    attribute_change(article, actor=actor)
    article.save(update_fields=["updated_at"])
    return text


# The portal's stages of a case, in the order a victim goes through them. Words for each are the
# progress page's (portal.progress); tags of kind "stage" use these codes.
STAGES = ("reported", "being_looked_at", "getting_support", "court", "finished")
S = Case.Status
STAGE_BY_STATUS = {
    S.NEW: "reported",
    S.IN_TRIAGE: "reported",
    S.VERIFIED: "being_looked_at",
    S.REFERRED: "getting_support",
    S.IN_SERVICE: "getting_support",
    S.RESOLVED: "finished",
    S.CLOSED: "finished",
    S.ARCHIVED: "finished",
    S.DISCARDED: "finished",
    S.MERGED: "being_looked_at",
}
# A case whose victim has a court date coming is at the court stage, whatever its status (no
# status says "court"): an open follow-up of this kind (cases' seeded follow-up kinds).
COURT_FOLLOW_UP_KIND = "court-date"


def stage_of(case: Case) -> str:
    """The portal stage of the case (one query for a case still being worked)."""
    stage = STAGE_BY_STATUS.get(case.status, "reported")
    if stage == "finished":
        return stage
    has_court_date = case.follow_ups.filter(
        kind__code=COURT_FOLLOW_UP_KIND, done_at__isnull=True
    ).exists()
    return "court" if has_court_date else stage


def in_language(language: str) -> Q:
    """Texts in `language`, or in English for an article that has none in it."""
    if language == "en":
        return Q(language="en")
    translated = ArticleText.objects.filter(article=OuterRef("article"), language=language)
    return Q(language=language) | (Q(language="en") & ~Exists(translated))


def published_texts(language: str) -> QuerySet[ArticleText]:
    return ArticleText.objects.filter(in_language(language), article__is_published=True)


# How much a matching tag counts: what happened weighs most, then where they are in the process.
WEIGHTS = {"category": 8, "stage": 4, "area": 2, "audience": 1}
AUDIENCE = "victim"


def recommend(*, case: Case, language: str = "en", limit: int = 5) -> list[ArticleText]:
    """Published articles for the case's victim, in their language (else English), the most
    matching tags first (category, stage, area, audience; weighted), ties by position. Two
    queries (the stage and the scoring), however many articles there are."""
    categories = Category.objects.filter(Q(pk=case.category_id) | Q(casecategory__case=case))
    matches = {
        "category": Q(article__tags__code__in=categories.values("code")),
        "stage": Q(article__tags__code=stage_of(case)),
        "area": Q(article__tags__code__in=Area.objects.filter(pk=case.area_id).values("code")),
        "audience": Q(article__tags__code=AUDIENCE),
    }
    score = sum(
        Count("article__tags", filter=Q(article__tags__kind=kind) & matches[kind]) * weight
        for kind, weight in WEIGHTS.items()
    )
    ranked = (
        published_texts(language)
        .select_related("article")
        .annotate(score=score)
        .filter(score__gt=0)
        .order_by("-score", "article__position", "article__slug")
    )
    return list(ranked[:limit])


# What the victim receives: the link only. An article's title (or anything of its words) can say
# what happened to them to whoever sees the phone.
LINK_WORDS = "Here is something you may find useful: {link}"
SEND_CHANNELS = ("sms", "email")


def article_link(article: Article) -> str:
    """A link by number (help:short), never the slug: the message may be read on a lock screen."""
    return f"{settings.PUBLIC_BASE_URL}/help/a/{article.pk}/"


@transaction.atomic
def send_article_link(*, case: Case, article: Article, actor: AbstractBaseUser) -> Notification:
    """Send the victim of the case a link to a published article, by the first of SMS and email
    their safe-contact answers allow now; otherwise the message is kept as not sent with the
    reason (notifications.victim_messages). Must be someone who may change the case."""
    if not can_change_case(actor, case):
        raise NotAllowedError("You cannot send messages on this case.")
    if not article.is_published:
        raise CaseError("That article is not in the library.")
    person = victim_of(case)
    if person is None:
        raise CaseError("There is no victim on this case to send it to.")
    text = LINK_WORDS.format(link=article_link(article))
    return message_victim(
        case=case,
        # the portal notices' choice: the first channel allowed now, else the first (kept as not
        # sent, with the reason)
        channel=notices.choose_channel(
            case, person, list(SEND_CHANNELS), automated=False, text=text
        ),
        text=text,
        kind="victim.article",
        sent_by=actor,
        automated=False,
    )
