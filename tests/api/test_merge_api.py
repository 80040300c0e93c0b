"""Duplicates, merge, unmerge and moving a report over the API: 200 with the case, 400 for bad input
with nothing stored, 403 for roles that may not, 404 for a case (or a target) the user cannot see,
409 for a merged, archived or the same case."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, CaseMerge, CasePerson, Report
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory

pytestmark = pytest.mark.django_db
S = Case.Status


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


@pytest.fixture
def pair(helpline) -> tuple[Case, Case]:
    reporter = PersonFactory(name="Testperson Reporter", phone="+447700900555")
    cases = []
    for _ in range(2):
        case = CaseFactory(helpline=helpline, status=S.VERIFIED)
        CasePersonFactory(
            case=case, person=PersonFactory(name="Testperson Victim", age=30, phone="")
        )
        ReportFactory(case=case, sender="")
        cases.append(case)
    CasePersonFactory(case=cases[0], person=reporter, role=CasePerson.Role.REPORTER)
    CasePersonFactory(case=cases[1], person=reporter, role=CasePerson.Role.REPORTER)
    return cases[0], cases[1]


def url(case: Case, action: str) -> str:
    return f"/api/v1/cases/{case.number}/{action}/"


def test_duplicates(pair, operator, monitor, other_operator) -> None:
    a, b = pair
    answer = api_for(operator).get(url(a, "duplicates"))
    assert answer.status_code == 200
    [found] = answer.json()
    assert found["number"] == b.number
    assert found["status"] == "verified"
    assert found["reasons"] == ["victim's name is the same, age 30"]
    assert found["score"] == 70
    assert set(found) == {"number", "status", "created_at", "reasons", "score"}
    assert api_for(monitor).get(url(a, "duplicates")).status_code == 404
    assert api_for(other_operator).get(url(a, "duplicates")).status_code == 404


def test_merge_and_unmerge(pair, operator, supervisor) -> None:
    a, b = pair
    answer = api_for(operator).post(
        url(a, "merge"), {"into": b.number, "reason": "Same caller"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "merged"
    assert answer.json()["merged_into"] == b.number
    assert Report.objects.filter(case=b).count() == 2
    again = api_for(operator).post(
        url(a, "merge"), {"into": b.number, "reason": "x"}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["status"] == "merged"
    assert (
        api_for(operator).post(url(a, "unmerge"), {"reason": "x"}, format="json").status_code == 403
    )
    bad = api_for(supervisor).post(url(a, "unmerge"), {}, format="json")
    assert bad.status_code == 400
    assert "reason" in bad.json()
    back = api_for(supervisor).post(url(a, "unmerge"), {"reason": "Not the same"}, format="json")
    assert back.status_code == 200
    assert back.json()["status"] == "verified"
    assert Report.objects.filter(case=a).count() == 1


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"into": "self", "reason": "x"}, 409),
        ({"into": "archived", "reason": "x"}, 409),
        ({"into": "elsewhere", "reason": "x"}, 404),
        ({"into": "LNT-1999-999999", "reason": "x"}, 404),
        ({"into": "other"}, 400),
        ({"into": "other", "reason": ""}, 400),
        ({"reason": "x"}, 400),
    ],
)
def test_merge_refusals_store_nothing(pair, helpline, other_helpline, operator, payload, code):
    a, b = pair
    numbers = {
        "self": a.number,
        "other": b.number,
        "archived": CaseFactory(helpline=helpline, status=S.ARCHIVED).number,
        "elsewhere": CaseFactory(helpline=other_helpline, status=S.VERIFIED).number,
    }
    if "into" in payload:
        payload = {**payload, "into": numbers.get(payload["into"], payload["into"])}
    answer = api_for(operator).post(url(a, "merge"), payload, format="json")
    assert answer.status_code == code, answer.json()
    assert CaseMerge.objects.count() == 0
    assert Case.objects.get(pk=a.pk).status == S.VERIFIED


def test_merge_by_roles_that_may_not(pair, cso_rep, monitor, other_operator) -> None:
    a, b = pair
    body = {"into": b.number, "reason": "x"}
    assert api_for(monitor).post(url(a, "merge"), body, format="json").status_code == 403
    assert api_for(cso_rep).post(url(a, "merge"), body, format="json").status_code == 404
    assert api_for(other_operator).post(url(a, "merge"), body, format="json").status_code == 404
    assert CaseMerge.objects.count() == 0


def test_move_report(pair, operator, other_operator) -> None:
    a, b = pair
    ReportFactory(case=a)
    report = a.reports.first()
    move = f"/api/v1/cases/{a.number}/reports/{report.pk}/move/"
    assert api_for(operator).post(move, {"to": b.number}, format="json").status_code == 400
    answer = api_for(operator).post(move, {"to": b.number, "reason": "Someone else"}, format="json")
    assert answer.status_code == 200
    assert Report.objects.get(pk=report.pk).case_id == b.pk
    # the report is no longer on a: 404, as for any record not on the case
    assert (
        api_for(operator).post(move, {"to": b.number, "reason": "x"}, format="json").status_code
        == 404
    )
    last = a.reports.get()
    last_move = f"/api/v1/cases/{a.number}/reports/{last.pk}/move/"
    refused = api_for(operator).post(last_move, {"to": b.number, "reason": "x"}, format="json")
    assert refused.status_code == 409
    assert (
        api_for(other_operator)
        .post(last_move, {"to": b.number, "reason": "x"}, format="json")
        .status_code
        == 404
    )
