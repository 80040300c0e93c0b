"""Articles: what an admin types becomes safe HTML (read back with a parser, not by substring), the
30 seeded articles, and staff sending an article's link to a victim through the safe-contact
table. Every name, number and address is made up."""

from __future__ import annotations

import importlib
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail

from cases.workflow import CaseError, NotAllowedError
from notifications.models import Notification
from portal.articles import save_text, send_article_link
from portal.models import Article, ArticleTag, ArticleText
from portal.rich_text import plain_words, render, sanitise
from tests.portal.conftest import PREFERENCES

pytestmark = pytest.mark.django_db

S = Notification.Status
SEED = importlib.import_module("portal.migrations.0004_seed_articles")


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML fragment."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}

    def attributes(self) -> set[str]:
        return {name for _, attrs in self.tags for name in attrs}

    def hrefs(self) -> list[str]:
        return [attrs["href"] or "" for tag, attrs in self.tags if tag == "a" and "href" in attrs]


# -- sanitising ----------------------------------------------------------------------------------


def test_scripts_go_with_their_words() -> None:
    # given an admin's paste with a script, raw and in upper case
    raw = '<p>Hello</p><script>alert("made-up")</script><SCRIPT src="/x.js"></SCRIPT>'

    # when
    page = Elements(sanitise(raw))

    # then
    assert "script" not in page.names()
    assert "alert" not in "".join(page.text)
    assert page.names() == {"p"}


def test_event_handlers_are_gone_from_every_tag() -> None:
    raw = (
        '<p onclick="steal()">a</p><a href="/help/" onmouseover="steal()">b</a>'
        '<strong onfocus="steal()" tabindex="0">c</strong><img src=x onerror="steal()">'
    )

    page = Elements(sanitise(raw))

    assert not {name for name in page.attributes() if name.startswith("on")}
    assert "tabindex" not in page.attributes()


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "ftp://files.example.org/a",
    ],
)
def test_links_to_other_schemes_lose_their_target(href: str) -> None:
    page = Elements(sanitise(f'<a href="{href}">made-up</a>'))

    assert page.hrefs() == []


@pytest.mark.parametrize(
    "markdown",
    ["[x](javascript:alert(1))", "[x](data:text/html,hi)", "<javascript:alert(1)>"],
)
def test_markdown_links_to_scripts_are_not_links(markdown: str) -> None:
    page = Elements(render(markdown))

    assert not [href for href in page.hrefs() if ":" in href and not href.startswith("http")]


@pytest.mark.parametrize(
    "href", ["https://example.org/a", "http://example.org/b", "mailto:a@example.org", "tel:999"]
)
def test_web_mail_and_phone_links_stay_and_never_pass_the_referrer(href: str) -> None:
    page = Elements(render(f"[made-up]({href})"))

    [(tag, attrs)] = [(tag, attrs) for tag, attrs in page.tags if tag == "a"]
    assert attrs["href"] == href
    assert set((attrs["rel"] or "").split()) == {"noopener", "noreferrer"}


def test_a_relative_link_to_another_article_stays() -> None:
    page = Elements(render("See [your crime number](/help/crime-reference-number/)."))

    assert page.hrefs() == ["/help/crime-reference-number/"]


def test_iframes_styles_and_embedded_things_are_gone() -> None:
    raw = (
        '<iframe src="https://evil.example/"></iframe><style>p{display:none}</style>'
        '<p style="position:fixed">x</p><object data="a.swf"></object><embed src="a.swf">'
        '<form action="https://evil.example/"><input name="pin"></form><svg onload="a()"></svg>'
        '<link rel="stylesheet" href="https://evil.example/a.css"><meta http-equiv="refresh">'
    )

    page = Elements(sanitise(raw))

    assert page.names() == {"p"}
    assert "style" not in page.attributes()
    assert "display:none" not in "".join(page.text)


@pytest.mark.parametrize(
    "source",
    [
        "![A made-up chart](https://evil.example/track.png)",
        "![A made-up chart](/static/img/chart.png)",
        "![A made-up chart](data:image/png;base64,iVBORw0KGgo=)",
        "![A made-up chart](//evil.example/track.png)",
    ],
)
def test_no_image_is_ever_shown_and_its_description_stays(source: str) -> None:
    page = Elements(render(source))

    assert "img" not in page.names()
    assert "A made-up chart" in "".join(page.text)
    assert "evil.example" not in render(source)


def test_raw_images_are_dropped_whatever_their_address() -> None:
    raw = (
        '<img src="https://evil.example/t.png"><img src="/static/img/a.png">'
        '<img src="data:image/svg+xml;base64,PHN2Zz4="><picture><source srcset="x.png"></picture>'
    )

    assert Elements(sanitise(raw)).names() == set()


def test_html_typed_into_markdown_is_shown_as_words() -> None:
    html = render('<script>alert(1)</script> and <img src=x onerror="alert(1)">')

    page = Elements(html)
    assert page.names() == {"p"}
    assert "<script>alert(1)</script>" in "".join(page.text)


def test_headings_sit_below_the_page_title_and_allowed_markup_stays() -> None:
    markdown = (
        "# Top\n\n###### Small\n\n## Part\n\n- one\n- two\n\n1. first\n\n> quoted\n\n"
        "**bold** *soft*\n\n---\n\n| Day | Time |\n|---|---|\n| Mon | 9am |\n"
    )

    page = Elements(render(markdown))

    assert page.names() == {
        *("h2", "h4", "ul", "ol", "li", "blockquote", "p", "strong", "em", "hr"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    }
    assert [tag for tag, _ in page.tags if tag.startswith("h")][:2] == ["h2", "h4"]


def test_search_words_are_small_letters_without_markup() -> None:
    assert plain_words("Going To Court", "A Made-up <em>summary</em>", "<p>Bring&nbsp;ID</p>") == (
        "going to court a made-up summary bring id"
    )


def test_saving_a_text_makes_its_html_and_search_words(supervisor) -> None:
    # given
    article = Article.objects.create(slug="made-up-article")
    text = ArticleText(
        article=article,
        language="en",
        title="Made-up Title",
        summary="Made-up summary",
        body="## Quillfeather\n\n<script>alert(1)</script> words",
        body_html="<script>typed</script>",
    )
    before = article.updated_at

    # when
    save_text(text=text, actor=supervisor)

    # then
    text.refresh_from_db()
    assert "script" not in Elements(text.body_html).names()
    assert Elements(text.body_html).names() == {"h2", "p"}
    assert "quillfeather" in text.search_text
    assert "made-up title" in text.search_text
    assert text.history.latest().history_user == supervisor
    article.refresh_from_db()
    assert article.updated_at > before


# -- the seeded library --------------------------------------------------------------------------


def test_thirty_articles_are_seeded_with_their_tags() -> None:
    articles = Article.objects.prefetch_related("tags", "texts")

    assert articles.count() == 30
    for article in articles:
        kinds = {tag.kind for tag in article.tags.all()}
        assert {"topic", "stage", "audience"} <= kinds, article.slug
        assert "en" in {text.language for text in article.texts.all()}, article.slug
    assert ArticleTag.objects.filter(kind="topic").count() == 6
    assert ArticleTag.objects.filter(kind="category", code="stalking").get().articles.count() >= 3
    court = Article.objects.filter(tags__kind="stage", tags__code="court")
    assert court.filter(tags__kind="stage", tags__code="getting_support").exists()


def test_seeded_categories_are_the_cases_own_codes() -> None:
    from cases.models import Category

    codes = set(ArticleTag.objects.filter(kind="category").values_list("code", flat=True))

    assert codes <= set(Category.objects.values_list("code", flat=True))
    assert {"stalking", "online", "physical"} <= codes


def test_every_seeded_body_renders_and_is_short_and_plain() -> None:
    for text in ArticleText.objects.all():
        assert text.body_html == render(text.body), text
        assert Elements(text.body_html).names() <= {"h2", "p", "ul", "ol", "li", "strong"}
        assert 120 <= len(text.body.split()) <= 250, (text, len(text.body.split()))


def test_at_least_two_articles_are_also_in_welsh() -> None:
    welsh = ArticleText.objects.filter(language="cy")

    assert welsh.count() >= 2
    for text in welsh:
        assert text.title != text.article.texts.get(language="en").title


def test_seeding_again_adds_nothing_and_keeps_an_admins_edits() -> None:
    text = ArticleText.objects.get(article__slug="phone-safety", language="en")
    text.title = "Made-up edited title"
    text.save()

    SEED.seed(apps, None)

    assert Article.objects.count() == 30
    assert ArticleText.objects.count() == 32
    text.refresh_from_db()
    assert text.title == "Made-up edited title"


# -- sending a link ------------------------------------------------------------------------------


@pytest.fixture
def article() -> Article:
    return Article.objects.get(slug="stalkerware")


def test_a_link_goes_by_text_with_no_title(portal_case, operator, article) -> None:
    # when
    row = send_article_link(case=portal_case, article=article, actor=operator)

    # then
    assert (row.status, row.channel, row.kind) == (S.PENDING, "sms", "victim.article")
    assert (
        row.text
        == f"Here is something you may find useful: {settings.PUBLIC_BASE_URL}/help/a/{article.pk}/"
    )
    assert (row.sent_by, row.automated) == (operator, False)
    # A lock screen shows the message: neither the title nor the slug says what it is about.
    for text in article.texts.all():
        assert text.title.lower() not in row.text.lower()
    assert article.slug not in row.text


def test_the_sent_link_shows_the_article_and_only_a_published_one(client, article) -> None:
    # when the victim opens the link they were sent
    answer = client.get(f"/help/a/{article.pk}/")

    # then they read the article there: no redirect puts the slug in the address bar or the
    # history of a shared phone; and nothing is cached
    assert answer.status_code == 200
    assert article.texts.get(language="en").title in answer.content.decode()
    assert "no-store" in answer["Cache-Control"]

    # an unpublished article, or a number that is none, is simply not found
    article.is_published = False
    article.save()
    assert client.get(f"/help/a/{article.pk}/").status_code == 404
    assert client.get("/help/a/999999/").status_code == 404


def test_email_when_texts_are_not_safe_and_the_email_holds_only_the_link(
    portal_case, operator, article, django_capture_on_commit_callbacks
) -> None:
    # given the victim said only email is safe
    person = portal_case.people.get(role="victim").person
    person.contact_preferences = {**PREFERENCES, "channels": ["email"]}
    person.save()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        row = send_article_link(case=portal_case, article=article, actor=operator)

    # then
    row.refresh_from_db()
    assert (row.channel, row.status) == ("email", S.SENT)
    (sent,) = mail.outbox
    assert f"{settings.PUBLIC_BASE_URL}/help/a/{article.pk}/" in sent.body
    assert "spying" not in f"{sent.subject} {sent.body}".lower()


@pytest.mark.parametrize(
    ("preferences", "reason"),
    [
        ({"contact": "none"}, "The victim asked not to be contacted."),
        ({}, "No safe-contact preferences are recorded: ask the victim first."),
        ({**PREFERENCES, "channels": []}, "The victim did not say a text message is safe."),
    ],
)
def test_refused_by_the_victims_answers_it_is_kept_unsent_with_the_reason(
    portal_case, operator, article, preferences, reason, django_capture_on_commit_callbacks
) -> None:
    person = portal_case.people.get(role="victim").person
    person.contact_preferences = preferences
    person.save()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = send_article_link(case=portal_case, article=article, actor=operator)

    assert (row.status, row.reason) == (S.SUPPRESSED, reason)
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["other_operator", "monitor", "cso_rep"])
def test_someone_who_cannot_change_the_case_is_refused(portal_case, article, who, request) -> None:
    actor = request.getfixturevalue(who)

    with pytest.raises(NotAllowedError):
        send_article_link(case=portal_case, article=article, actor=actor)

    assert not Notification.objects.filter(kind="victim.article").exists()


def test_an_unpublished_article_is_not_sent(portal_case, operator, article) -> None:
    article.is_published = False
    article.save()

    with pytest.raises(CaseError):
        send_article_link(case=portal_case, article=article, actor=operator)

    assert not Notification.objects.filter(kind="victim.article").exists()


def test_a_case_without_a_victim_sends_nothing(operator, helpline, article) -> None:
    from tests.factories import CaseFactory

    case = CaseFactory(helpline=helpline, status="verified", claimed_by=operator)

    with pytest.raises(CaseError):
        send_article_link(case=case, article=article, actor=operator)
