"""One person across cases (issue 12 item 3): GET /api/v1/people/{id}/ and /people/<id>/ show the
person and only the cases of theirs this user may see; invisible is 404 (monitors always); each look
is audited without a value; contacts keep their history (previous addresses with dates)."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import AccessLog, Case, CasePerson, ContactType, Person, PersonContact
from referrals.models import Referral
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db

S = Case.Status
NAME = "Testperson Acrosscases"


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


@pytest.fixture
def person() -> Person:
    return PersonFactory(
        name=NAME, phone="+447700900471", address="3 Madeup Row", date_of_birth="1990-04-05"
    )


@pytest.fixture
def cases(helpline, other_helpline, cso, operator, person) -> dict[str, Case]:
    """Three cases of the person at the operator's helpline (one referred to the CSO, as the
    victim; one as a perpetrator) and one at another helpline."""
    referred = CaseFactory(helpline=helpline, status=S.IN_SERVICE)
    CasePersonFactory(case=referred, person=person)
    ReferralFactory(case=referred, organisation=cso, referred_by=operator)
    own = CaseFactory(helpline=helpline, status=S.VERIFIED)
    CasePersonFactory(case=own, person=person, role=CasePerson.Role.PERPETRATOR)
    elsewhere = CaseFactory(helpline=other_helpline, status=S.VERIFIED)
    CasePersonFactory(case=elsewhere, person=person)
    address = ContactType.objects.get(code="address")
    PersonContact.objects.create(
        person=person, kind=address, value="1 Oldplace Lane",
        valid_from=date(2019, 1, 1), valid_to=date(2024, 6, 30),
    )  # fmt: skip
    PersonContact.objects.create(
        person=person, kind=address, value="3 Madeup Row", valid_from=date(2024, 7, 1)
    )
    return {"referred": referred, "own": own, "elsewhere": elsewhere}


def test_operator_sees_the_person_and_their_cases_at_this_helpline(operator, person, cases):
    response = api_for(operator).get(f"/api/v1/people/{person.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == person.pk
    assert body["name"] == NAME
    assert body["phone"] == "+447700900471"
    assert body["date_of_birth"] == "1990-04-05"
    numbers = {c["number"]: c["role"] for c in body["cases"]}
    assert numbers == {cases["referred"].number: "victim", cases["own"].number: "perpetrator"}
    addresses = [c for c in body["contacts"] if c["kind"] == "address"]
    assert [(a["value"], a["current"]) for a in addresses] == [
        ("3 Madeup Row", True),
        ("1 Oldplace Lane", False),
    ]
    assert addresses[1]["valid_to"] == "2024-06-30"


def test_each_look_is_audited_without_a_value(operator, person, cases):
    api_for(operator).get(f"/api/v1/people/{person.pk}/")
    row = AccessLog.objects.get(action=AccessLog.Action.PERSON)
    assert (row.user, row.case, row.via, row.detail) == (
        operator,
        None,
        "api",
        f"person {person.pk}",
    )


def test_cso_sees_only_the_case_referred_to_it(cso_rep, person, cases):
    body = api_for(cso_rep).get(f"/api/v1/people/{person.pk}/").json()
    assert [c["number"] for c in body["cases"]] == [cases["referred"].number]


def test_cso_with_no_referral_of_theirs_gets_404(cso_rep, person, cases):
    Referral.objects.update(status=Referral.Status.DECLINED)
    assert api_for(cso_rep).get(f"/api/v1/people/{person.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["monitor", "admin_user"])
def test_who_sees_no_identities_gets_404(request, who, person, cases):
    response = api_for(request.getfixturevalue(who)).get(f"/api/v1/people/{person.pk}/")
    assert response.status_code == 404
    assert NAME not in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessLog.Action.PERSON).exists()


def test_other_helpline_sees_only_its_own_case(other_operator, person, cases):
    body = api_for(other_operator).get(f"/api/v1/people/{person.pk}/").json()
    assert [c["number"] for c in body["cases"]] == [cases["elsewhere"].number]


def test_other_helpline_gets_404_for_someone_only_on_our_cases(other_operator, helpline):
    stranger = PersonFactory()
    CasePersonFactory(case=CaseFactory(helpline=helpline), person=stranger)
    response = api_for(other_operator).get(f"/api/v1/people/{stranger.pk}/")
    assert response.status_code == 404
    missing = api_for(other_operator).get("/api/v1/people/999999/")
    assert missing.status_code == 404


def test_page_shows_cases_address_history_and_masks(operator, otp_client, person, cases):
    response = otp_client(operator).get(f"/people/{person.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert NAME in page
    assert cases["own"].number in page
    assert cases["referred"].number in page
    assert cases["elsewhere"].number not in page
    assert "1 Jan 2019" in page
    assert "30 Jun 2024" in page
    # phones, addresses and dates of birth are masked until shown
    assert "+447700900471" not in page
    assert "1 Oldplace Lane" not in page
    assert "1990" not in page
    row = AccessLog.objects.get(action=AccessLog.Action.PERSON)
    assert (row.via, row.detail) == ("web", f"person {person.pk}")


def test_page_is_404_for_the_monitor(monitor, otp_client, person, cases):
    assert otp_client(monitor).get(f"/people/{person.pk}/").status_code == 404


def test_case_page_links_each_person_and_names_the_reporter(operator, otp_client, helpline, person):
    from cases.models import Relationship

    case = CaseFactory(helpline=helpline, status=S.VERIFIED)
    CasePersonFactory(case=case, person=person)
    reporter = PersonFactory(name="Testreporter Neighbour")
    CasePersonFactory(
        case=case, person=reporter, role=CasePerson.Role.REPORTER,
        relationship=Relationship.objects.get(code="friend"),
    )  # fmt: skip
    page = otp_client(operator).get(f"/cases/{case.number}/").content.decode()
    assert f'href="/people/{person.pk}/"' in page
    assert f'href="/people/{reporter.pk}/"' in page
    assert "Reporter</strong> (Friend or neighbour)" in page
