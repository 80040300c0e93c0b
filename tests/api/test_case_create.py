"""POST /api/v1/cases/ (CONTRACT.md Additions): staff open a case by hand from every staff channel,
with the victim and a reporter who is not the victim; only a helpline's workers; bad input is a
400 that stores nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, CasePerson, Person, Report

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/"
VICTIM_PHONE = "+447700900461"
REPORTER_PHONE = "+447700900462"


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


def counts() -> tuple[int, int, int, int]:
    return (
        Case.objects.count(),
        Report.objects.count(),
        Person.objects.count(),
        CasePerson.objects.count(),
    )


@pytest.mark.parametrize("channel", ["walk_in", "phone", "partner", "email", "other"])
def test_every_staff_channel_opens_a_new_case(
    operator, channel, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(operator).post(
            URL,
            {"channel": channel, "description": "Made-up account of what happened"},
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "new"
    assert body["channel"] == channel
    assert body["claimed_by"] is None
    case = Case.objects.get(number=body["number"])
    assert case.helpline == operator.organisation
    report = case.reports.get()
    assert report.channel == channel
    assert report.body == "Made-up account of what happened"
    assert case.incident_description == "Made-up account of what happened"
    assert case.history.first().history_user == operator
    assert any(event.get("type") == "case.created" for _, event in captured_broadcasts)


def test_reporter_is_recorded_as_reporter_and_the_victim_as_victim(operator) -> None:
    response = api_for(operator).post(
        URL,
        {
            "channel": "walk_in",
            "description": "A made-up neighbour came in",
            "victim": {
                "name": "Testvictim Walkin",
                "age": 34,
                "phone": "07700 900461",
                "date_of_birth": "1991-02-03",
                "language": "pl",
                "contact": {"contact": "none"},
            },
            "reporter": {
                "name": "Testreporter Friend",
                "phone": "07700 900462",
                "relationship": "friend",
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    people = {p["role"]: p for p in response.json()["people"]}
    assert people["victim"]["name"] == "Testvictim Walkin"
    assert people["victim"]["phone"] == VICTIM_PHONE
    assert people["victim"]["date_of_birth"] == "1991-02-03"
    assert people["victim"]["language"] == "pl"
    assert people["reporter"]["name"] == "Testreporter Friend"
    assert people["reporter"]["relationship"] == "friend"
    case = Case.objects.get(number=response.json()["number"])
    # someone else reported: their number (or the victim's) must not pull later texts in
    assert case.reports.get().sender == ""
    link = case.people.get(role=CasePerson.Role.REPORTER)
    assert (
        link.history.first().history_change_reason == "Reporter recorded when the case was opened"
    )


def test_victim_reporting_themselves_is_the_sender(operator) -> None:
    response = api_for(operator).post(
        URL,
        {"channel": "phone", "description": "Made-up call", "victim": {"phone": "07700900461"}},
        format="json",
    )
    assert response.status_code == 201
    case = Case.objects.get(number=response.json()["number"])
    assert case.reports.get().sender == VICTIM_PHONE
    assert not case.people.filter(role=CasePerson.Role.REPORTER).exists()


def test_claim_makes_it_in_triage_held_by_the_opener(operator) -> None:
    response = api_for(operator).post(
        URL, {"channel": "walk_in", "description": "Made-up", "claim": True}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "in_triage"
    assert body["claimed_by"] == operator.username


def test_supervisor_may_open(supervisor) -> None:
    response = api_for(supervisor).post(
        URL, {"channel": "other", "description": "Made-up"}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"channel": "sms", "description": "x"}, "channel"),
        ({"channel": "web", "description": "x"}, "channel"),
        ({"channel": "walk_in"}, "description"),
        ({"channel": "walk_in", "description": ""}, "description"),
        ({"channel": "walk_in", "description": "x", "victim": {"phone": "not a phone"}}, "victim"),
        ({"channel": "walk_in", "description": "x", "victim": {"age": 400}}, "victim"),
        ({"channel": "walk_in", "description": "x", "victim": {"language": "xx"}}, "victim"),
        ({"channel": "walk_in", "description": "x", "victim": {"language": ""}}, "victim"),
        (
            {"channel": "walk_in", "description": "x", "victim": {"date_of_birth": "31/31/1990"}},
            "victim",
        ),
        ({"channel": "walk_in", "description": "x", "reporter": {"relationship": "friend"}}, "reporter"),
        (
            {"channel": "walk_in", "description": "x", "reporter": {"name": "A", "relationship": "nope"}},
            "reporter",
        ),
    ],
)  # fmt: skip
def test_bad_input_is_400_and_stores_nothing(operator, payload, field) -> None:
    before = counts()
    response = api_for(operator).post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert counts() == before


@pytest.mark.parametrize("who", ["cso_rep", "monitor", "admin_user"])
def test_only_helpline_workers_open_cases(request, who) -> None:
    before = counts()
    response = api_for(request.getfixturevalue(who)).post(
        URL, {"channel": "walk_in", "description": "Made-up"}, format="json"
    )
    assert response.status_code == 403
    assert counts() == before


def test_the_list_is_still_read_only_otherwise(operator) -> None:
    client = api_for(operator)
    response = client.post(URL, {"channel": "walk_in", "description": "x"}, format="json")
    number = response.json()["number"]
    assert client.put(f"{URL}{number}/", {}, format="json").status_code == 405
    assert client.delete(f"{URL}{number}/").status_code == 405


def test_safe_contact_answers_keep_the_rules(operator) -> None:
    before = counts()
    client = api_for(operator)
    for contact in (
        {"contact": "maybe"},
        {"contact": "allowed"},
        {"contact": "allowed", "channels": ["sms"]},
    ):
        response = client.post(
            URL,
            {"channel": "walk_in", "description": "x", "victim": {"name": "A", "contact": contact}},
            format="json",
        )
        assert response.status_code == 400, contact
        assert "contact" in str(response.json())
    assert counts() == before
    response = client.post(
        URL,
        {
            "channel": "walk_in",
            "description": "x",
            "victim": {
                "phone": "07700900461",
                "contact": {"contact": "allowed", "channels": ["sms"]},
            },
        },
        format="json",
    )
    assert response.status_code == 201


def test_the_victims_address_starts_its_history(operator) -> None:
    response = api_for(operator).post(
        URL,
        {"channel": "walk_in", "description": "x", "victim": {"address": "9 Madeup Close"}},
        format="json",
    )
    case = Case.objects.get(number=response.json()["number"])
    person = case.people.get(role=CasePerson.Role.VICTIM).person
    assert person.address == "9 Madeup Close"
    row = person.contacts.get()
    assert (row.kind.code, row.value, row.valid_to) == ("address", "9 Madeup Close", None)


def test_json_only_and_claim_is_a_real_boolean(operator) -> None:
    before = counts()
    client = api_for(operator)
    form = client.post(URL, {"channel": "walk_in", "description": "x"})
    assert form.status_code == 415
    for claim in ("yes", 1, "true"):
        response = client.post(
            URL, {"channel": "walk_in", "description": "x", "claim": claim}, format="json"
        )
        assert response.status_code == 400
        assert "claim" in str(response.json())
    assert counts() == before
