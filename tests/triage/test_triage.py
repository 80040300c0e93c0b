"""Triage through the API (CONTRACT.md): claim, release, verify, discard, and the extensions."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, CasePerson
from tests.factories import CaseFactory, StaffFactory
from triage.services import take_next

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


def url(case: Case, action: str) -> str:
    return f"/api/v1/cases/{case.number}/{action}/"


VERIFY = {
    "category": "physical",
    "priority": "high",
    "incident": {
        "occurred_at": "2026-11-20T21:30:00+00:00",
        "location": "Made-up Street",
        "description": "Made-up account of what happened.",
    },
    "victim": {
        "name": "Testperson Verified",
        "age": 34,
        "phone": "07700 900321",
        "contact": {"contact": "allowed", "channels": ["sms"], "no_voicemail": True},
    },
    "perpetrators": [{"name": "Made Up Person", "age": 40, "relationship": "ex-partner"}],
}


def test_claim_then_verify_records_everything(operator) -> None:
    case = CaseFactory(helpline=operator.organisation)
    api = api_for(operator)

    claimed = api.post(url(case, "claim"))
    assert claimed.status_code == 200
    assert (claimed.json()["status"], claimed.json()["claimed_by"]) == ("in_triage", "amina")

    verified = api.post(url(case, "verify"), VERIFY, format="json")
    assert verified.status_code == 200, verified.json()
    case.refresh_from_db()
    assert (case.status, case.category.code, case.priority) == ("verified", "physical", "high")
    assert case.incident_location == "Made-up Street"
    victim = case.people.get(role=CasePerson.Role.VICTIM).person
    assert (victim.name, victim.phone, victim.age) == ("Testperson Verified", "+447700900321", 34)
    assert victim.contact_preferences["no_voicemail"] is True
    perpetrator = case.people.get(role=CasePerson.Role.PERPETRATOR)
    assert (perpetrator.person.name, perpetrator.relationship.code) == (
        "Made Up Person",
        "ex-partner",
    )
    assert case.history.latest().history_change_reason == "Verified as genuine"


def test_someone_elses_claim_is_409_and_says_who(operator, helpline) -> None:
    colleague = StaffFactory(username="zara", organisation=helpline)
    case = CaseFactory(helpline=helpline)
    api_for(colleague).post(url(case, "claim"))

    response = api_for(operator).post(url(case, "claim"))

    assert response.status_code == 409
    assert response.json()["claimed_by"] == "zara"
    assert api_for(operator).post(url(case, "verify"), VERIFY, format="json").status_code == 409


def test_release_is_for_the_holder_or_a_supervisor(operator, supervisor, helpline) -> None:
    colleague = StaffFactory(username="zara", organisation=helpline)
    case = CaseFactory(helpline=helpline)
    api_for(colleague).post(url(case, "claim"))
    assert api_for(operator).post(url(case, "release")).status_code == 409
    released = api_for(supervisor).post(url(case, "release"))
    assert (released.status_code, released.json()["status"]) == (200, "new")


def test_discard_needs_a_known_reason_and_only_a_supervisor_reinstates(operator, supervisor):
    case = CaseFactory(helpline=operator.organisation)
    api = api_for(operator)
    api.post(url(case, "claim"))
    assert api.post(url(case, "discard"), {"reason": "nonsense"}, format="json").status_code == 400
    assert api.post(url(case, "discard"), {}, format="json").status_code == 400

    response = api.post(
        url(case, "discard"), {"reason": "prank", "note": "Made-up note"}, format="json"
    )
    assert (response.status_code, response.json()["status"]) == (200, "discarded")
    case.refresh_from_db()
    assert case.discard_reason.code == "prank"

    assert api.post(url(case, "reinstate"), {"reason": "x"}, format="json").status_code == 403
    assert (
        api_for(supervisor).post(url(case, "reinstate"), {"reason": " "}, format="json").status_code
        == 400
    )
    back = api_for(supervisor).post(
        url(case, "reinstate"), {"reason": "It was real"}, format="json"
    )
    assert (back.status_code, back.json()["status"]) == (200, "new")


def test_forbidden_moves_are_409(operator) -> None:
    case = CaseFactory(helpline=operator.organisation, status=Case.Status.CLOSED)
    assert api_for(operator).post(url(case, "claim")).status_code == 409


def test_bad_verify_payloads_are_400_and_change_nothing(operator) -> None:
    case = CaseFactory(helpline=operator.organisation)
    api = api_for(operator)
    api.post(url(case, "claim"))
    for bad in (
        {},
        {**VERIFY, "category": "unknown"},
        {**VERIFY, "priority": "urgent"},
        {**VERIFY, "victim": {"phone": "not a phone"}},
        {**VERIFY, "perpetrators": [{"relationship": "unknown"}]},
        {**VERIFY, "incident": {"occurred_at": "yesterday"}},
    ):
        assert api.post(url(case, "verify"), bad, format="json").status_code == 400
    case.refresh_from_db()
    assert (case.status, case.category) == ("in_triage", None)
    assert not case.people.exists()


def test_who_may_act(operator, other_operator, monitor, cso_rep) -> None:
    case = CaseFactory(helpline=operator.organisation)
    assert api_for(other_operator).post(url(case, "claim")).status_code == 404  # cannot see it
    assert api_for(monitor).post(url(case, "claim")).status_code == 403  # sees it, cannot act
    assert api_for(cso_rep).post(url(case, "claim")).status_code == 404
    assert APIClient().post(url(case, "claim")).status_code == 401
    case.refresh_from_db()
    assert case.status == "new"


def test_reassign_hands_a_claim_to_a_colleague(operator, supervisor, helpline, other_operator):
    colleague = StaffFactory(username="zara", organisation=helpline)
    case = CaseFactory(helpline=helpline)
    api_for(operator).post(url(case, "claim"))
    assert (
        api_for(operator).post(url(case, "reassign"), {"to": "zara"}, format="json").status_code
        == 403
    )
    assert (
        api_for(supervisor)
        .post(url(case, "reassign"), {"to": other_operator.username}, format="json")
        .status_code
        == 400
    )
    moved = api_for(supervisor).post(
        url(case, "reassign"), {"to": colleague.username}, format="json"
    )
    assert (moved.status_code, moved.json()["claimed_by"]) == (200, "zara")


def test_take_next_gives_the_most_urgent_then_oldest(operator) -> None:
    helpline = operator.organisation
    old_standard = CaseFactory(helpline=helpline)
    newer_high = CaseFactory(helpline=helpline, priority="high")
    CaseFactory(helpline=helpline, priority="medium")
    api = api_for(operator)
    assert api.post("/api/v1/cases/take-next/").json()["number"] == newer_high.number
    assert api.post("/api/v1/cases/take-next/").json()["priority"] == "medium"
    assert api.post("/api/v1/cases/take-next/").json()["number"] == old_standard.number
    assert api.post("/api/v1/cases/take-next/").status_code == 204


@pytest.mark.django_db(transaction=True)
def test_operators_taking_next_at_once_never_get_the_same_case(require_postgresql, helpline):
    operators = [StaffFactory(organisation=helpline) for _ in range(8)]
    for _ in range(30):
        CaseFactory(helpline=helpline)
    barrier = threading.Barrier(len(operators))

    def work(operator) -> list[str]:
        barrier.wait()
        taken = []
        try:
            while (case := take_next(actor=operator)) is not None:
                taken.append(case.number)
        finally:
            connection.close()
        return taken

    with ThreadPoolExecutor(len(operators)) as pool:
        results = list(pool.map(work, operators))

    numbers = [n for batch in results for n in batch]
    assert len(numbers) == len(set(numbers)) == 30
    assert Case.objects.filter(status="in_triage").count() == 30
    assert sum(1 for batch in results if batch) > 1  # really shared out, not one winner
