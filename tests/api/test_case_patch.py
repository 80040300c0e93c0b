"""PATCH /api/v1/cases/{number}/ (CONTRACT.md "Cases opened and changed by staff"): change a case's
details after triage with the version read and a reason; the answers' shapes as documented."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, CasePerson
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, category

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return api


@pytest.fixture
def openapi(client) -> dict[str, Any]:
    return client.get("/api/schema/", {"format": "json"}).json()


def _documented(openapi, code: str) -> dict[str, Any]:
    operation = openapi["paths"]["/api/v1/cases/{number}/"]["patch"]
    ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
    return openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.fixture
def case(helpline) -> Case:
    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, category=category())
    CasePersonFactory(case=case, person=PersonFactory(name="Made Up", phone="+447700900111"))
    return case


def _patch(user, case, body):
    return _api(user).patch(f"/api/v1/cases/{case.number}/", body, format="json")


def test_a_change_answers_the_case_with_the_new_version(operator, case, openapi):
    answer = _patch(operator, case, {
        "version": 1, "reason": "Victim rang back", "priority": "high",
        "categories": ["stalking"], "flags": ["interpreter"],
        "victim": {"phone": "07700 900222", "language": "pl",
                   "contact": {"contact": "allowed", "channels": ["sms"]}},
        "reporter": {"name": "A Friend", "relationship": "friend"},
        "perpetrators": [{"name": "Made Up Perp", "relationship": "partner"}],
    })  # fmt: skip
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["version"], body["priority"], body["flags"]) == (2, "high", ["interpreter"])
    assert body["other_categories"] == ["stalking"]
    roles = sorted(person["role"] for person in body["people"])
    assert roles == ["perpetrator", "reporter", "victim"]
    victim = CasePerson.objects.get(case=case, role="victim").person
    assert (victim.phone, victim.contact_preferences["channels"]) == ("+447700900222", ["sms"])
    assert case.history.first().history_change_reason == "Changed: Victim rang back"


def test_put_is_not_offered(operator, case):
    answer = _api(operator).put(f"/api/v1/cases/{case.number}/", {}, format="json")
    assert answer.status_code == 405


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "Why", "priority": "high"}, "version"),
        ({"version": 1, "priority": "high"}, "reason"),
        ({"version": 1, "reason": "Why", "priority": "urgent"}, "priority"),
        ({"version": 1, "reason": "Why", "category": "nonsense"}, "category"),
        ({"version": 1, "reason": "Why", "victim": {"phone": "not a phone"}}, "victim"),
        ({"version": 1, "reason": "Why", "victim": {"contact": {"contact": "allowed"}}}, "victim"),
        (
            {"version": 1, "reason": "Why", "perpetrators": [{"name": "No Relation"}]},
            "perpetrators",
        ),
        ({"version": 1, "reason": "Why", "victim": {"date_of_birth": "2999-01-01"}}, "victim"),
    ],
)
def test_bad_input_is_400_on_its_field_and_nothing_stored(operator, case, openapi, body, field):
    answer = _patch(operator, case, body)
    assert answer.status_code == 400
    assert field in answer.json()
    jsonschema.validate(answer.json(), _documented(openapi, "400"))
    case.refresh_from_db()
    assert (case.version, case.priority) == (1, "standard")


def test_nothing_to_change_and_an_unknown_flag_are_400_in_words(operator, case):
    nothing = _patch(operator, case, {"version": 1, "reason": "Why"})
    assert (nothing.status_code, nothing.json()["detail"]) == (400, "Nothing to change.")
    unknown = _patch(operator, case, {"version": 1, "reason": "Why", "flags": ["nonsense"]})
    assert unknown.status_code == 400
    assert unknown.json()["flags"] == ["Unknown code: nonsense."]


def test_a_stale_version_is_409_with_who_when_and_what(operator, supervisor, case, openapi):
    assert (
        _patch(supervisor, case, {"version": 1, "reason": "Why", "priority": "high"}).status_code
        == 200
    )
    answer = _patch(operator, case, {"version": 1, "reason": "Mine", "priority": "medium"})
    assert answer.status_code == 409
    body = answer.json()
    jsonschema.validate(body, _documented(openapi, "409"))
    assert (body["version"], body["changed_by"]) == (2, "joan")
    assert body["changed_at"]
    assert {"record": "case", "field": "priority", "from": "standard", "to": "high"} in body[
        "changes"
    ]
    case.refresh_from_db()
    assert case.priority == "high"


def test_a_cso_serving_the_case_may_not_change_its_priority(cso_rep, case):
    from tests.factories import ReferralFactory

    ReferralFactory(case=case, organisation=cso_rep.organisation, status="accepted")
    refused = _patch(cso_rep, case, {"version": 1, "reason": "Why", "priority": "high"})
    assert refused.status_code == 403
    assert "priority" in refused.json()["detail"]
    allowed = _patch(cso_rep, case, {"version": 1, "reason": "Why", "flags": ["high_risk"]})
    assert allowed.status_code == 200


def test_invisible_is_404_and_a_merged_case_is_409(other_operator, operator, case):
    assert (
        _patch(
            other_operator, case, {"version": 1, "reason": "Why", "priority": "high"}
        ).status_code
        == 404
    )
    Case.objects.filter(pk=case.pk).update(status=Case.Status.MERGED)
    answer = _patch(operator, case, {"version": 1, "reason": "Why", "priority": "high"})
    assert (answer.status_code, answer.json()["status"]) == (409, "merged")


def test_a_monitor_may_see_but_not_change(monitor, case):
    assert (
        _patch(monitor, case, {"version": 1, "reason": "Why", "priority": "high"}).status_code
        == 403
    )
