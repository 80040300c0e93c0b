"""The access matrix gains people pages and references (issue 12): every role of the matrix
(tests/cases/test_access_matrix.py), against a victim on a case in every state, for the person's
JSON and page, a reference added to the person and one added to the case. The promised answers are
written out here as rules, independently of cases.policy:
- the person is read by whoever sees the case and who is in it (monitors never: 404), else 404;
- the person is changed by whoever may change the victim on it: the helpline's workers (in triage,
  the one holding it or a supervisor), a CSO serving it (accepted referral); a discarded or
  read-only case gives no one that right (403, as do those who only read); else 404;
- a case's references the same, except that a read-only case answers 409 to whoever sees it.
A refusal stores nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, CasePerson, ExternalReference
from tests.cases.test_access_matrix import (  # noqa: F401  (cast: the matrix's fixture)
    ROLES,
    SCENARIOS,
    Scenario,
    cast,
    expected,
    make_case,
    web_client,
)

pytestmark = pytest.mark.django_db

S = Case.Status
WORKERS = ("operator", "supervisor", "superuser_operator")


def people_expected(role: str, scenario: Scenario) -> dict[str, int]:
    sees = expected(role, scenario)["view"] == 200
    if not sees:
        return dict.fromkeys(("person_api", "person_page", "person_change", "case_change"), 404)
    if role == "monitor":
        read_only = scenario.status in (S.ARCHIVED, S.MERGED)
        return {
            "person_api": 404,
            "person_page": 404,
            "person_change": 404,
            "case_change": 409 if read_only else 403,
        }
    read_only = scenario.status in (S.ARCHIVED, S.MERGED)
    closed_to_change = read_only or scenario.status == S.DISCARDED
    if role in WORKERS:
        # in triage the case is nobody's in the matrix: only a supervisor may change it
        held = scenario.status == S.IN_TRIAGE and role != "supervisor"
        may = not closed_to_change and not held
    else:  # the receiving CSO, while its referral is pending or accepted
        may = not closed_to_change and scenario.referral == "accepted"
    return {
        "person_api": 200,
        "person_page": 200,
        "person_change": 302 if may else 403,
        "case_change": 409 if read_only else 302 if may else 403,
    }


@pytest.mark.parametrize("role", ROLES)
def test_people_and_references_by_role(role, cast, helpline, cso) -> None:  # noqa: F811
    user = cast[role]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    web = web_client(user)
    mismatches = []
    for scenario in SCENARIOS:
        case = make_case(scenario, helpline, cso, cast["operator"])
        person = case.people.get(role=CasePerson.Role.VICTIM).person
        reference = {
            "reference-kind": "crime_number",
            "reference-value": "CR-1",
            "reference-reason": "Given by the police",
        }
        got = {
            "person_api": api.get(f"/api/v1/people/{person.pk}/").status_code,
            "person_page": web.get(f"/people/{person.pk}/").status_code,
            "person_change": web.post(f"/people/{person.pk}/references/", reference).status_code,
            "case_change": web.post(f"/cases/{case.number}/references/", reference).status_code,
        }
        promised = people_expected(role, scenario)
        if got != promised:
            mismatches.append((scenario.name, got, promised))
        stored = {
            "person_change": ExternalReference.objects.filter(person=person).exists(),
            "case_change": ExternalReference.objects.filter(case=case).exists(),
        }
        assert stored == {k: got[k] == 302 for k in stored}, scenario.name
    assert not mismatches, "\n".join(f"{n}: got {a}, promised {p}" for n, a, p in mismatches)
