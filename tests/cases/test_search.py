"""Case searches keep what was typed out of URLs (so out of access logs and browser histories),
and every list or search is audited without the words searched for (SECURITY.md, issue 11 item 5)."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import AccessLog
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory

pytestmark = pytest.mark.django_db

PHONE = "+447700900987"
NAME = "Testperson Searchcanary"
ROW = re.compile(r'href="/cases/(LNT-\d{4}-\d+)/"')


@pytest.fixture
def wanted(helpline):
    case = CaseFactory(helpline=helpline)
    CasePersonFactory(case=case, person=PersonFactory(name=NAME, phone=PHONE))
    return case


@pytest.fixture
def other(helpline):
    return CaseFactory(helpline=helpline)


def numbers(html: str) -> set[str]:
    return set(ROW.findall(html))


def assert_no_words(url: str) -> None:
    for words in (PHONE, "447700900987", "Searchcanary", "q="):
        assert words not in url, url


@pytest.mark.parametrize("q", [PHONE, NAME])
def test_the_case_list_search_is_posted_and_shown_under_an_id(
    q, wanted, other, operator, otp_client
) -> None:
    client = otp_client(operator)

    posted = client.post("/cases/", {"q": q, "status": "new"})

    assert posted.status_code == 302
    location = posted["Location"]
    assert_no_words(location)
    assert "status=new" in location
    assert "search=" in location
    page = client.get(location)
    assert numbers(page.content.decode()) == {wanted.number}
    # no link on the page (the next page, the filters) carries the words
    for href in re.findall(r'(?:href|hx-get|action)="([^"]*)"', page.content.decode()):
        assert_no_words(href)


def test_words_in_a_page_url_are_not_searched(wanted, other, operator, otp_client) -> None:
    page = otp_client(operator).get("/cases/", {"q": wanted.number}).content.decode()
    assert numbers(page) == {wanted.number, other.number}


def test_a_search_id_means_nothing_to_another_session(
    wanted, other, operator, supervisor, otp_client
) -> None:
    location = otp_client(operator).post("/cases/", {"q": PHONE})["Location"]
    theirs = otp_client(supervisor).get(location).content.decode()
    assert numbers(theirs) == {wanted.number, other.number}
    assert PHONE not in theirs


def test_the_search_words_are_not_stored_in_plain_text_in_the_session(
    wanted, operator, otp_client
) -> None:
    from django.contrib.sessions.models import Session

    client = otp_client(operator)
    client.post("/cases/", {"q": PHONE})
    stored = Session.objects.get(session_key=client.session.session_key).session_data
    assert PHONE not in stored
    assert (
        "447700900987"
        not in Session.objects.get(session_key=client.session.session_key).get_decoded().__repr__()
    )


def test_the_queue_search_is_posted_and_its_links_carry_only_the_id(
    wanted, other, operator, otp_client
) -> None:
    client = otp_client(operator)

    posted = client.post("/console/", {"q": PHONE, "view": "unclaimed"})

    assert posted.status_code == 302
    location = posted["Location"]
    assert_no_words(location)
    assert "view=unclaimed" in location
    page = client.get(location).content.decode()
    assert numbers(page) == {wanted.number}
    search_id = re.search(r"search=([\w-]+)", location).group(1)
    assert f'hx-get="/console/rows/?view=unclaimed&amp;search={search_id}"' in page
    assert f"?view=high&amp;search={search_id}" in page
    assert 'method="post"' in page.split('role="search"', 1)[0].rsplit("<form", 1)[-1]
    rows = client.get(f"/console/rows/?view=unclaimed&search={search_id}").content.decode()
    assert numbers(rows) == {wanted.number}
    assert numbers(client.get("/console/", {"q": PHONE}).content.decode()) == {
        wanted.number,
        other.number,
    }


def test_lists_and_searches_are_audited_without_the_words(wanted, operator, otp_client) -> None:
    client = otp_client(operator)
    client.get("/cases/")
    client.get(client.post("/cases/", {"q": PHONE})["Location"])
    client.get("/console/")
    client.get(client.post("/console/", {"q": NAME})["Location"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")
    api.get("/api/v1/cases/")
    api.get("/api/v1/cases/", {"q": wanted.number})
    found = api.post("/api/v1/cases/search/", {"q": PHONE}, format="json")
    assert [c["number"] for c in found.json()["results"]] == [wanted.number]

    rows = list(AccessLog.objects.order_by("pk").values())
    assert [(r["action"], r["via"], r["case_id"], r["user_id"]) for r in rows] == [
        ("list", "web", None, operator.pk),
        ("search", "web", None, operator.pk),
        ("list", "web", None, operator.pk),
        ("search", "web", None, operator.pk),
        ("list", "api", None, operator.pk),
        ("search", "api", None, operator.pk),
        ("search", "api", None, operator.pk),
    ]
    for row in rows:
        for value in row.values():
            assert "Searchcanary" not in str(value)
            assert "900987" not in str(value)


def test_the_api_search_checks_its_body(operator) -> None:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")
    assert api.post("/api/v1/cases/search/", {}, format="json").status_code == 400
    assert api.post("/api/v1/cases/search/", {"q": "x" * 201}, format="json").status_code == 400


def test_the_casework_lists_are_audited_too(cso_rep, otp_client) -> None:
    otp_client(cso_rep).get("/casework/")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=cso_rep)}")
    assert api.get("/api/v1/referrals/").status_code == 200
    rows = AccessLog.objects.values_list("action", "via", "case", "user")
    assert list(rows.order_by("pk")) == [
        ("list", "web", None, cso_rep.pk),
        ("list", "api", None, cso_rep.pk),
    ]
