"""The public library's pages as a visitor uses them: browsing by topic, searching (in the body,
in their language, every word), turning pages, switching language, and what is never there
(unpublished articles, cached pages, other sites, the search words in the title)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from portal.articles import save_text
from portal.models import Article, ArticleTag, ArticleText
from tests.portal.test_articles import Elements

pytestmark = pytest.mark.django_db

ARTICLE_LINK = re.compile(r"^/help/([\w-]+)/(\?lang=\w+)?$")


def listed(response) -> list[str]:
    """The slugs of the articles a library page lists, in order."""
    page = Elements(response.content.decode())
    return [m.group(1) for href in page.hrefs() if (m := ARTICLE_LINK.match(href))]


def add_article(
    slug: str,
    *,
    body: str = "Made-up words.",
    title: str = "",
    position: int = 900,
    language: str = "en",
    topic: str = "",
) -> Article:
    article, _ = Article.objects.get_or_create(slug=slug, defaults={"position": position})
    if topic:
        tag, _ = ArticleTag.objects.get_or_create(
            kind="topic", code=topic, defaults={"label": topic}
        )
        article.tags.add(tag)
    save_text(
        text=ArticleText(
            article=article,
            language=language,
            title=title or f"Made-up {slug}",
            summary="Made-up summary.",
            body=body,
        ),
        actor=None,
    )
    return article


def test_the_library_groups_articles_by_topic_and_is_never_cached(client: Client) -> None:
    response = client.get("/help/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = Elements(response.content.decode())
    headings = [data.strip() for data in page.text if data.strip()]
    for topic in ("Going to court", "Staying safe online", "Your rights"):
        assert topic in headings
    assert len(listed(response)) == 20  # the first page of 30


def test_every_page_has_the_quick_exit_and_no_other_site(client: Client) -> None:
    for url in ("/help/", "/help/?q=court", "/help/phone-safety/", "/help/?lang=cy&topic=court"):
        page = Elements(client.get(url).content.decode())

        exits = [
            a
            for t, a in page.tags
            if t == "a" and "govuk-exit-this-page__button" in (a.get("class") or "")
        ]
        assert [a["href"] for a in exits] == ["/portal/leave/"], url
        outside = [
            value
            for _, attrs in page.tags
            for name, value in attrs.items()
            if name in ("src", "href", "action") and value and re.match(r"^(https?:)?//", value)
        ]
        assert outside == [], url


def test_search_finds_a_word_only_in_the_body(client: Client) -> None:
    add_article("made-up-body-word", body="Somewhere in the middle is quillfeather.")

    response = client.get("/help/", {"q": "Quillfeather"})

    assert listed(response) == ["made-up-body-word"]
    assert "1 article found for" in response.content.decode()


def test_search_needs_every_word(client: Client) -> None:
    add_article("made-up-two-words", body="Quillfeather and inkwell.")
    add_article("made-up-one-word", body="Only quillfeather here.")

    assert listed(client.get("/help/", {"q": "inkwell quillfeather"})) == ["made-up-two-words"]
    assert set(listed(client.get("/help/", {"q": "quillfeather"}))) == {
        "made-up-two-words",
        "made-up-one-word",
    }


def test_search_looks_in_the_chosen_language(client: Client) -> None:
    # "insurance" is in the English crime number article only; "ymddiried" in its Welsh text
    english = listed(client.get("/help/", {"q": "insurance"}))
    welsh = listed(client.get("/help/", {"q": "insurance", "lang": "cy"}))

    assert "crime-reference-number" in english
    assert "crime-reference-number" not in welsh
    assert "crime-reference-number" in listed(
        client.get("/help/", {"q": "ymddiried", "lang": "cy"})
    )
    assert listed(client.get("/help/", {"q": "ymddiried"})) == []


def test_nothing_found_says_what_to_try(client: Client) -> None:
    response = client.get("/help/", {"q": "xylophonic"})

    html = response.content.decode()
    assert listed(response) == []
    assert "No articles found for" in html
    assert "Try other words" in html


def test_the_search_words_are_never_in_the_page_title(client: Client) -> None:
    html = client.get("/help/", {"q": "stalkerware"}).content.decode()

    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "stalkerware" not in title.lower()


def test_pages_of_twenty_keep_the_search(client: Client) -> None:
    for number in range(45):
        add_article(f"made-up-{number:02}", body="Lanternfish facts.", position=1000 + number)

    first = client.get("/help/", {"q": "lanternfish"})
    third = client.get("/help/", {"q": "lanternfish", "page": 3})
    beyond = client.get("/help/", {"q": "lanternfish", "page": 99})

    assert listed(first) == [f"made-up-{n:02}" for n in range(20)]
    assert listed(third) == [f"made-up-{n:02}" for n in range(40, 45)]
    assert listed(beyond) == listed(third)
    next_links = [h for h in Elements(first.content.decode()).hrefs() if "page=2" in h]
    assert next_links
    assert all("q=lanternfish" in h for h in next_links)


def test_a_topic_lists_its_articles_only(client: Client) -> None:
    response = client.get("/help/", {"topic": "court"})

    assert sorted(listed(response)) == sorted(
        Article.objects.filter(tags__kind="topic", tags__code="court").values_list(
            "slug", flat=True
        )
    )
    assert len(listed(response)) == 6


def test_an_unknown_topic_or_language_shows_the_whole_library_in_english(client: Client) -> None:
    response = client.get("/help/", {"topic": "no-such-topic", "lang": "xx"})

    assert response.status_code == 200
    assert len(listed(response)) == 20
    assert "Your right to be told what is happening" in response.content.decode()


def test_welsh_lists_welsh_titles_and_english_where_there_is_no_welsh(client: Client) -> None:
    html = client.get("/help/", {"lang": "cy", "topic": "your-rights"}).content.decode()

    assert "Eich hawl i gael gwybod beth sy&#x27;n digwydd" in html
    assert "Your right to an interpreter" in html  # not in Welsh yet
    assert 'href="/help/right-to-information/?lang=cy"' in html


def test_the_switcher_links_each_language(client: Client) -> None:
    html = client.get("/help/", {"q": "court"}).content.decode()

    assert re.search(r'href="\?q=court&amp;lang=cy" hreflang="cy">Cymraeg</a>', html)


def test_an_unpublished_article_is_not_found_listed_or_searched(client: Client) -> None:
    Article.objects.filter(slug="stalkerware").update(is_published=False)

    assert client.get("/help/stalkerware/").status_code == 404
    assert "stalkerware" not in listed(client.get("/help/", {"q": "stalkerware"}))
    assert "stalkerware" not in listed(client.get("/help/", {"topic": "online-safety"}))


def test_an_unknown_article_is_not_found(client: Client) -> None:
    assert client.get("/help/no-such-article/").status_code == 404


def test_every_seeded_article_page_answers(client: Client) -> None:
    for slug in Article.objects.values_list("slug", flat=True):
        response = client.get(f"/help/{slug}/")

        assert response.status_code == 200, slug
        assert "no-store" in response["Cache-Control"]


def test_an_article_in_welsh(client: Client) -> None:
    html = client.get("/help/right-to-information/", {"lang": "cy"}).content.decode()

    assert '<article class="help-article" lang="cy">' in html
    assert "Eich hawl i gael gwybod" in html
    assert "not written in" not in html


def test_an_article_not_yet_in_welsh_is_in_english_with_a_note(client: Client) -> None:
    html = client.get("/help/police-investigation/", {"lang": "cy"}).content.decode()

    assert "This article is not written in Cymraeg yet. Here it is in English." in html
    assert "What happens after you report to the police" in html
    assert '<article class="help-article">' in html


def test_an_article_body_is_the_sanitised_html(client: Client) -> None:
    add_article("made-up-hostile", body="Hi <script>alert(1)</script> [x](javascript:alert(1))")

    page = Elements(client.get("/help/made-up-hostile/").content.decode())

    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert all(attrs.get("src", "").startswith("/static/") for attrs in scripts)
    assert not [h for h in page.hrefs() if h.startswith("javascript:")]


def test_the_library_is_a_few_queries_with_three_hundred_articles(
    client: Client, django_assert_max_num_queries
) -> None:
    tag = ArticleTag.objects.get(kind="topic", code="support")
    for number in range(300):
        article = Article.objects.create(slug=f"made-up-bulk-{number}", position=500)
        article.tags.add(tag)
        ArticleText.objects.create(
            article=article, language="en", title=f"Made-up {number}", body="Bulk words."
        )

    with django_assert_max_num_queries(8):
        response = client.get("/help/", {"q": "bulk", "page": 5})

    assert len(listed(response)) == 20


def test_only_get(client: Client) -> None:
    assert client.post("/help/").status_code == 405


def test_public_pages_link_to_the_library(client: Client) -> None:
    assert 'href="/help/">Help and advice</a>' in client.get("/report/").content.decode()


def test_topics_come_in_the_order_of_their_first_article(client: Client) -> None:
    # given an admin moves an online-safety article to the top of the library
    Article.objects.filter(slug="stalkerware").update(position=1)

    response = client.get("/help/")

    page = Elements(response.content.decode())
    headings = [
        data.strip() for data in page.text if data.strip() in {"Your rights", "Staying safe online"}
    ]
    assert headings[:2] == ["Staying safe online", "Your rights"]  # the topic list's order
    assert listed(response)[0] == "stalkerware"


@pytest.mark.parametrize("query", ["%", "_", "%court%"])
def test_wildcards_are_searched_as_typed(client: Client, query: str) -> None:
    assert listed(client.get("/help/", {"q": query})) == []


def test_odd_input_still_answers(client: Client) -> None:
    for params in (
        {"q": "court " * 500},
        {"q": "court", "page": "abc"},
        {"lang": "<script>", "topic": "'; drop table"},
        {"q": "\u202ecourt\u0000"},
    ):
        response = client.get("/help/", params)

        assert response.status_code == 200, params
        assert "<script>" not in response.content.decode().split("<main", 1)[1]


def test_a_signed_in_victim_reading_the_library_keeps_their_menu_and_their_session(
    victim_client, settings
) -> None:
    """Reading a recommended article is using the portal: the menu (and its way back) stays,
    and the idle clock starts again, so reading for longer than the idle time does not sign
    them out."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    settings.PORTAL_IDLE_MINUTES = 15
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        victim_client.get("/portal/")
        clock.move_to(start + timedelta(minutes=10))
        library = victim_client.get("/help/").content.decode()
        clock.move_to(start + timedelta(minutes=20))
        article = victim_client.get("/help/stalkerware/").content.decode()
        clock.move_to(start + timedelta(minutes=30))
        home = victim_client.get("/portal/")

    assert 'aria-label="Your report"' in library
    assert 'href="/portal/messages/"' in library
    assert 'href="/portal/messages/"' in article
    assert home.status_code == 200


def test_a_visitor_not_signed_in_gets_no_portal_menu(client: Client) -> None:
    assert 'href="/portal/messages/"' not in client.get("/help/").content.decode()
