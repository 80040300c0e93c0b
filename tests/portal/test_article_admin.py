"""The help library in the admin: a helpline administrator writes an article and its texts; what
they type becomes sanitised HTML they can preview; pictures and odd language codes are refused;
articles are unpublished, never deleted; a CSO's administrator and case workers never get in."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from portal.models import Article, ArticleTag, ArticleText
from tests.factories import StaffFactory
from tests.portal.test_articles import Elements

pytestmark = pytest.mark.django_db

ADD = "/admin/portal/article/add/"


@pytest.fixture
def helpline_admin(helpline):
    return StaffFactory(organisation=helpline, role="admin")


@pytest.fixture
def admin_client(helpline_admin, otp_client) -> Client:
    return otp_client(helpline_admin)


def article_form(*, slug: str = "made-up-new", body: str = "## Made-up\n\nWords.", **text) -> dict:
    tag = ArticleTag.objects.get(kind="topic", code="court")
    return {
        "slug": slug,
        "is_published": "on",
        "position": "400",
        "tags": [str(tag.pk)],
        "texts-TOTAL_FORMS": "1",
        "texts-INITIAL_FORMS": "0",
        "texts-MIN_NUM_FORMS": "0",
        "texts-MAX_NUM_FORMS": "1000",
        "texts-0-language": text.get("language", "en"),
        "texts-0-title": text.get("title", "Made-up title"),
        "texts-0-summary": "Made-up summary.",
        "texts-0-body": body,
    }


class ErrorList(HTMLParser):
    """The words of the admin's error lists on a page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.depth = 0
        self.words: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.depth or (tag == "ul" and "errorlist" in (dict(attrs).get("class") or "")):
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and data.strip():
            self.words.append(data.strip())


def test_a_helpline_admin_adds_an_article_and_its_html_is_made_and_sanitised(
    admin_client, helpline_admin
) -> None:
    # when
    response = admin_client.post(
        ADD, article_form(body="## Made-up\n\n<script>alert(1)</script> [x](javascript:alert(1))")
    )

    # then
    assert response.status_code == 302, ErrorList(response.content.decode()).words
    text = ArticleText.objects.get(article__slug="made-up-new")
    assert Elements(text.body_html).names() == {"h2", "p"}
    assert "made-up title" in text.search_text
    assert text.history.latest().history_user == helpline_admin
    article = text.article
    assert list(article.tags.values_list("code", flat=True)) == ["court"]
    assert article.history.latest().history_user == helpline_admin


def test_the_change_page_previews_the_sanitised_body(admin_client) -> None:
    article = Article.objects.get(slug="phone-safety")
    text = article.texts.get(language="en")
    text.body = "## Made-up heading\n\n<iframe src=x></iframe> words"
    text.save()

    page = admin_client.get(f"/admin/portal/article/{article.pk}/change/").content.decode()

    start = page.index('<div class="help-preview"')
    preview = Elements(page[start : page.index("</div>", start) + 6])
    assert "h2" in preview.names()
    assert "iframe" not in preview.names()


def test_a_picture_is_refused_with_a_reason(admin_client) -> None:
    response = admin_client.post(ADD, article_form(body="![A chart](https://example.org/a.png)"))

    assert response.status_code == 200
    assert (
        "Pictures are not shown in articles. Describe what it shows in words instead."
        in ErrorList(response.content.decode()).words
    )
    assert not Article.objects.filter(slug="made-up-new").exists()


@pytest.mark.parametrize("language", ["English", "e", "en_GB", "<b>"])
def test_a_language_must_be_a_code(admin_client, language) -> None:
    response = admin_client.post(ADD, article_form(language=language))

    assert response.status_code == 200
    assert (
        "Use a language code in small letters, like en or cy."
        in ErrorList(response.content.decode()).words
    )
    assert not Article.objects.filter(slug="made-up-new").exists()


def test_a_second_text_in_the_same_language_is_refused(admin_client) -> None:
    form = article_form()
    form.update(
        {
            "texts-TOTAL_FORMS": "2",
            "texts-1-language": "en",
            "texts-1-title": "Made-up twin",
            "texts-1-summary": "",
            "texts-1-body": "Twin words.",
        }
    )

    response = admin_client.post(ADD, form)

    assert response.status_code == 200
    assert not Article.objects.filter(slug="made-up-new").exists()


def test_articles_are_unpublished_not_deleted(admin_client, otp_client) -> None:
    article = Article.objects.get(slug="phone-safety")
    root = _superuser()

    for client in (admin_client, otp_client(root)):
        assert client.get(f"/admin/portal/article/{article.pk}/delete/").status_code == 403
        assert (
            client.post(f"/admin/portal/article/{article.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
    assert Article.objects.filter(pk=article.pk).exists()


def test_the_list_filters_by_tag_and_searches_the_words(admin_client) -> None:
    stalking = ArticleTag.objects.get(kind="category", code="stalking")

    by_tag = admin_client.get("/admin/portal/article/", {"tags__id__exact": stalking.pk})
    by_word = admin_client.get("/admin/portal/article/", {"q": "Stalkerware"})

    assert set(by_tag.context["cl"].result_list) == set(stalking.articles.all())
    assert [a.slug for a in by_word.context["cl"].result_list] == ["stalkerware"]


def test_tags_are_listed_with_how_many_articles(admin_client) -> None:
    response = admin_client.get("/admin/portal/articletag/", {"kind__exact": "topic"})

    rows = {tag.code: tag.article_count for tag in response.context["cl"].result_list}
    assert rows["court"] == 6
    assert len(rows) == 6


@pytest.mark.parametrize("who", ["cso_admin", "operator", "supervisor"])
def test_others_never_reach_the_library_admin(who, request, cso, otp_client) -> None:
    user = (
        StaffFactory(organisation=cso, role="admin")
        if who == "cso_admin"
        else request.getfixturevalue(who)
    )
    client = otp_client(user)
    article = Article.objects.get(slug="phone-safety")

    for url in (
        "/admin/portal/article/",
        f"/admin/portal/article/{article.pk}/change/",
        ADD,
        "/admin/portal/articletag/",
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), (who, url)
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/login/")
    client.post(ADD, article_form())
    assert not Article.objects.filter(slug="made-up-new").exists()


def _superuser():
    from tests.accounts.test_admin import make_superuser

    return make_superuser()
