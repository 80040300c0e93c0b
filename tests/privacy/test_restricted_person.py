"""A person kept under restricted processing (exempt from erasure, SECURITY DP-09) is out of the
everyday views: the person page, people search and the people API say "restricted" and show
nothing that identifies them, except to the data-protection officer."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory

NAME = "Restricteda Madeupname"
PHONE = "+447700900555"


@pytest.fixture
def person(helpline):
    kept = PersonFactory(name=NAME, phone=PHONE, processing_restricted=True)
    CasePersonFactory(case=CaseFactory(helpline=helpline), person=kept)
    return kept


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


def test_the_person_page_and_api_name_nobody_but_to_the_dpo(person, operator, dpo, otp_client):
    page = otp_client(operator).get(f"/people/{person.pk}/").content.decode()
    assert NAME not in page
    assert "estricted" in page
    assert _api(operator).get(f"/api/v1/people/{person.pk}/").json() == {
        "id": person.pk,
        "restricted": True,
    }

    assert NAME in otp_client(dpo).get(f"/people/{person.pk}/").content.decode()
    assert _api(dpo).get(f"/api/v1/people/{person.pk}/").json()["name"] == NAME


def test_people_search_says_restricted(person, operator, dpo, otp_client):
    for user, shown in ((operator, "Restricted"), (dpo, NAME)):
        client = otp_client(user)
        found = client.post("/people/search/", {"q": PHONE}, follow=True).content.decode()
        assert shown in found
        if user is operator:
            assert NAME not in found
