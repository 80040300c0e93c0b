"""The library's articles: saving one's text (its Markdown is made into safe HTML by
portal.rich_text when saved), the ones a case's victim may find useful (recommend), and staff
sending one's link to the victim through the safe-contact gate."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from cases.models import Area, Case, Category
from cases.policy import can_change_case
from cases.workflow import CaseError, NotAllowedError
from notifications.models import Notification
from notifications.victim_messages import message_victim, victim_of
from portal import notices
from portal.models import Article, ArticleText
from project.history import attribute_change


@transaction.atomic
def save_text(*, text: ArticleText, actor: AbstractBaseUser | None) -> ArticleText:
    """Save an article's text in a language (ArticleText.save makes its HTML and search words
    from its Markdown, through portal.rich_text), with who did it; the article's `updated_at` moves with
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
