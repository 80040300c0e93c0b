"""Recommendation: the articles a case's victim sees first follow what happened (categories), where
the case is (stage), where they are (area) and who they are (audience); in their language where
there is one; never an unpublished article; and the same few queries with a library of 300."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Area, Case, CaseCategory, Category, FollowUpKind
from portal.articles import STAGE_BY_STATUS, STAGES, recommend, stage_of
from portal.models import Article, ArticleTag, ArticleText
from referrals.models import FollowUp
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

S = Case.Status


def make_case(helpline, *, status=S.VERIFIED, category=None, area=None) -> Case:
    return CaseFactory(
        helpline=helpline,
        status=status,
        category=Category.objects.get(code=category) if category else None,
        area=Area.objects.get(code=area) if area else None,
    )


def court_date(case: Case, operator, *, done: bool = False) -> FollowUp:
    return FollowUp.objects.create(
        case=case,
        organisation=case.helpline,
        kind=FollowUpKind.objects.get(code="court-date"),
        due_at=timezone.now() + timedelta(days=20),
        assignee=operator,
        done_at=timezone.now() if done else None,
    )


def tagged(slug: str, *tags: tuple[str, str], position: int = 5) -> Article:
    article = Article.objects.create(slug=slug, position=position)
    for kind, code in tags:
        tag, _ = ArticleTag.objects.get_or_create(kind=kind, code=code, defaults={"label": code})
        article.tags.add(tag)
    ArticleText.objects.create(article=article, language="en", title=f"Made-up {slug}", body="x")
    return article


def slugs(texts: list[ArticleText]) -> list[str]:
    return [text.article.slug for text in texts]


# -- stages --------------------------------------------------------------------------------------


def test_every_status_has_a_stage() -> None:
    assert set(STAGE_BY_STATUS) == set(S.values)
    assert set(STAGE_BY_STATUS.values()) <= set(STAGES)


@pytest.mark.parametrize(
    ("status", "stage"),
    [
        (S.NEW, "reported"),
        (S.IN_TRIAGE, "reported"),
        (S.VERIFIED, "being_looked_at"),
        (S.REFERRED, "getting_support"),
        (S.IN_SERVICE, "getting_support"),
        (S.RESOLVED, "finished"),
        (S.CLOSED, "finished"),
    ],
)
def test_the_stage_follows_the_status(helpline, status, stage) -> None:
    assert stage_of(make_case(helpline, status=status)) == stage


def test_a_court_date_coming_puts_the_case_at_court(helpline, operator) -> None:
    case = make_case(helpline, status=S.IN_SERVICE)

    court_date(case, operator)

    assert stage_of(case) == "court"


def test_a_court_date_done_or_a_finished_case_is_not_at_court(helpline, operator) -> None:
    done = make_case(helpline, status=S.IN_SERVICE)
    court_date(done, operator, done=True)
    closed = make_case(helpline, status=S.CLOSED)
    court_date(closed, operator)

    assert stage_of(done) == "getting_support"
    assert stage_of(closed) == "finished"


# -- by the case's attributes --------------------------------------------------------------------


def test_two_different_cases_get_different_articles_first(helpline, operator) -> None:
    # given: stalking, someone is looking at it; physical violence, a court date coming
    stalking = make_case(helpline, status=S.VERIFIED, category="stalking")
    violence = make_case(helpline, status=S.IN_SERVICE, category="physical")
    court_date(violence, operator)

    # when
    for_stalking = slugs(recommend(case=stalking))
    for_violence = slugs(recommend(case=violence))

    # then
    assert for_stalking[0] == "phone-safety"
    assert for_violence[0] == "special-measures"
    assert "stalkerware" in for_stalking
    assert "stalkerware" not in for_violence
    assert "special-measures" not in for_stalking
    stalking_tags = Article.objects.filter(tags__kind="category", tags__code="stalking")
    assert set(for_stalking) <= set(stalking_tags.values_list("slug", flat=True))


def test_the_stage_alone_changes_what_comes_first(helpline, operator) -> None:
    reported = make_case(helpline, status=S.NEW)
    finished = make_case(helpline, status=S.CLOSED)

    assert slugs(recommend(case=reported))[0] == "right-to-information"
    assert slugs(recommend(case=finished))[0] == "how-to-complain"


def test_a_further_category_counts_like_the_first(helpline) -> None:
    case = make_case(helpline, status=S.CLOSED)
    CaseCategory.objects.create(case=case, category=Category.objects.get(code="online"))

    online = Article.objects.filter(tags__kind="category", tags__code="online")
    assert set(slugs(recommend(case=case))) <= set(online.values_list("slug", flat=True))


def test_the_area_lifts_its_own_article(helpline) -> None:
    tagged("made-up-everywhere", ("stage", "finished"), ("audience", "victim"), position=1)
    tagged(
        "made-up-north-only",
        ("stage", "finished"),
        ("audience", "victim"),
        ("area", "north"),
        position=2,
    )
    north = make_case(helpline, status=S.CLOSED, area="north")
    south = make_case(helpline, status=S.CLOSED, area="south")

    assert slugs(recommend(case=north))[0] == "made-up-north-only"
    assert slugs(recommend(case=south))[0] == "made-up-everywhere"


def test_ties_go_by_position(helpline) -> None:
    tagged("made-up-later", ("category", "fgm"), position=3)
    tagged("made-up-sooner", ("category", "fgm"), position=2)

    case = make_case(helpline, status=S.CLOSED, category="fgm")

    assert slugs(recommend(case=case))[:2] == ["made-up-sooner", "made-up-later"]


def test_an_article_matching_nothing_is_never_recommended(helpline) -> None:
    tagged("made-up-for-parents", ("audience", "parent"), position=0)
    tagged("made-up-no-tags", position=0)

    found = slugs(recommend(case=make_case(helpline, status=S.NEW), limit=100))

    assert "made-up-for-parents" not in found
    assert "made-up-no-tags" not in found


def test_unpublished_articles_are_never_recommended(helpline) -> None:
    Article.objects.filter(slug="phone-safety").update(is_published=False)

    case = make_case(helpline, status=S.VERIFIED, category="stalking")

    assert "phone-safety" not in slugs(recommend(case=case, limit=100))


def test_the_limit(helpline) -> None:
    case = make_case(helpline, status=S.VERIFIED, category="stalking")

    assert len(recommend(case=case)) == 5
    assert len(recommend(case=case, limit=2)) == 2


def test_in_the_victims_language_and_english_where_there_is_none(helpline) -> None:
    case = make_case(helpline, status=S.NEW)

    texts = recommend(case=case, language="cy")

    assert (texts[0].article.slug, texts[0].language) == ("right-to-information", "cy")
    assert texts[0].title.startswith("Eich hawl")
    assert {text.language for text in texts[1:]} <= {"en", "cy"}
    assert [t.article.slug for t in texts] == slugs(recommend(case=case))


# -- size ----------------------------------------------------------------------------------------


def test_two_queries_with_three_hundred_articles(
    helpline, operator, django_assert_max_num_queries
) -> None:
    # given 300 more articles, each with a category, a stage and an area
    categories = list(Category.objects.values_list("code", flat=True))
    for number in range(300):
        tagged(
            f"made-up-{number}",
            ("category", categories[number % len(categories)]),
            ("stage", STAGES[number % len(STAGES)]),
            ("area", "north"),
            position=200 + number,
        )
        ArticleText.objects.create(
            article_id=Article.objects.get(slug=f"made-up-{number}").pk,
            language="cy",
            title=f"Made-up cy {number}",
            body="x",
        )
    case = make_case(helpline, status=S.IN_SERVICE, category="stalking", area="north")
    CaseCategory.objects.create(case=case, category=Category.objects.get(code="online"))
    court_date(case, operator)

    # when
    with django_assert_max_num_queries(2):
        texts = recommend(case=case, language="cy")

    # then: read after the queries, the texts and their articles cost nothing more
    with django_assert_max_num_queries(0):
        assert len(slugs(texts)) == 5
