"""The risk API (an extension of the contract): the questionnaire, completing an assessment and a
case's assessments, for every role."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import AccessLog, Case
from risk.models import Assessment, Questionnaire
from tests.factories import CaseFactory
from tests.risk.conftest import answers

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


def url(case: Case) -> str:
    return f"/api/v1/cases/{case.number}/risk/"


def body(questions, yes=0, **extra):
    return {"answers": answers(questions, yes), **extra}


def test_the_questionnaire_lists_its_active_questions_in_order(operator, questions):
    questions[3].is_active = False
    questions[3].save()
    answer = api_for(operator).get("/api/v1/risk/questionnaire/")
    assert answer.status_code == 200
    data = answer.json()
    assert (data["high_threshold"], data["medium_threshold"]) == (14, 10)
    assert [a["code"] for a in data["answers"]] == ["yes", "no", "unknown"]
    assert len(data["questions"]) == 26
    assert [q["id"] for q in data["questions"]] == [
        q.pk for q in questions if q.pk != questions[3].pk
    ]
    assert set(data["questions"][0]) == {
        "id", "code", "section", "text", "help_text", "counts", "critical",
    }  # fmt: skip


def test_completing_answers_201_with_the_outcome(case, operator, questions):
    answer = api_for(operator).post(url(case), body(questions, 14, notes="Made-up"), format="json")
    assert answer.status_code == 201
    data = answer.json()
    assert data["level"] == "high"
    assert data["score"] == 14
    assert data["marac_prompt"] is True
    assert data["completed_at"]
    assert data["out_of"] == 27
    case.refresh_from_db()
    assert case.risk_level == "high"


def test_the_case_json_carries_the_latest_risk(case, operator, questions):
    api = api_for(operator)
    api.post(url(case), body(questions, 11), format="json")
    risk = api.get(f"/api/v1/cases/{case.number}/").json()["risk"]
    assert risk["level"] == "medium"
    assert risk["score"] == 11
    assert risk["completed_at"]


def test_professional_judgement_over_the_api(case, operator, questions):
    payload = body(questions, 0, professional_judgement=True, judgement_reason="Made-up reason")
    answer = api_for(operator).post(url(case), payload, format="json")
    assert answer.status_code == 201
    assert answer.json()["level"] == "high"
    assert answer.json()["marac_prompt"] is True


def test_missing_answers_are_400_naming_them_and_nothing_is_stored(case, operator, questions):
    payload = body(questions, 14)
    del payload["answers"][str(questions[4].pk)]
    answer = api_for(operator).post(url(case), payload, format="json")
    assert answer.status_code == 400
    assert answer.json()["missing"] == [questions[4].pk]
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{}, {"answers": "yes"}, {"answers": {"1": "yes"}, "professional_judgement": "perhaps"}],
)
def test_malformed_bodies_are_400_and_store_nothing(case, operator, payload):
    answer = api_for(operator).post(url(case), payload, format="json")
    assert answer.status_code == 400
    assert not Assessment.objects.exists()


def test_listing_newest_first_in_full_for_those_who_see_identities(case, operator, questions):
    api = api_for(operator)
    api.post(url(case), body(questions, 2, notes="Made-up first"), format="json")
    api.post(url(case), body(questions, 15), format="json")
    answer = api.get(url(case))
    assert answer.status_code == 200
    first, second = answer.json()
    assert (first["level"], second["level"]) == ("high", "standard")
    assert second["notes"] == "Made-up first"
    assert second["completed_by"] == "amina"
    assert len(second["answers"]) == 27
    assert AccessLog.objects.filter(case=case, user=operator).exists()


def test_monitors_see_only_level_score_and_date(case, operator, monitor, questions):
    api_for(operator).post(url(case), body(questions, 3, notes="Made-up note"), format="json")
    answer = api_for(monitor).get(url(case))
    assert answer.status_code == 200
    (only,) = answer.json()
    assert set(only) == {"id", "level", "score", "out_of", "completed_at", "marac_prompt"}


def test_monitors_may_not_assess(case, monitor, questions):
    answer = api_for(monitor).post(url(case), body(questions, 3), format="json")
    assert answer.status_code == 403
    assert not Assessment.objects.exists()


def test_the_cso_serving_the_case_may_assess_and_read(served_case, cso_rep, questions):
    api = api_for(cso_rep)
    assert api.post(url(served_case), body(questions, 1), format="json").status_code == 201
    assert api.get(url(served_case)).status_code == 200


@pytest.mark.parametrize("who", ["other_operator", "other_cso_rep", "admin_user"])
def test_those_who_cannot_see_the_case_get_404(served_case, questions, request, who):
    api = api_for(request.getfixturevalue(who))
    assert api.post(url(served_case), body(questions, 14), format="json").status_code == 404
    assert api.get(url(served_case)).status_code == 404
    assert not Assessment.objects.exists()


def test_an_unknown_case_is_404(operator, questions):
    answer = api_for(operator).post(
        "/api/v1/cases/LNT-2099-999999/risk/", body(questions), format="json"
    )
    assert answer.status_code == 404


def test_archived_case_is_409_with_its_status(helpline, operator, questions):
    archived = CaseFactory(helpline=helpline, status=Case.Status.ARCHIVED)
    answer = api_for(operator).post(url(archived), body(questions, 1), format="json")
    assert answer.status_code == 409
    assert answer.json()["status"] == "archived"
    assert not Assessment.objects.exists()


def test_without_a_questionnaire_in_use_the_api_says_so_with_409(case, operator, questions):
    Questionnaire.objects.update(is_active=False)
    api = api_for(operator)
    assert api.get("/api/v1/risk/questionnaire/").status_code == 409
    answer = api.post(url(case), body(questions, 1), format="json")
    assert answer.status_code == 409
    assert "No risk questionnaire" in answer.json()["detail"]
