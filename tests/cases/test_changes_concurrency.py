"""Two people change one case at once with the version they both read (PostgreSQL: real row
locks): exactly one change is made, the other is refused as stale and told by whom; the two never
interleave and the history holds the one change complete."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, CaseFlag, CasePerson
from tests.factories import CaseFactory, CasePersonFactory, StaffFactory, category


@pytest.mark.django_db(transaction=True)
def test_two_changes_on_one_version_make_one_200_and_one_409(require_postgresql, helpline):
    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, category=category())
    CasePersonFactory(case=case)
    staff = [StaffFactory(organisation=helpline) for _ in range(2)]
    tokens = [issue_api_token(user=user) for user in staff]
    bodies = [
        {"version": 1, "reason": "First", "priority": "high", "flags": ["weapon"],
         "victim": {"name": "Made Up One", "age": 30}},
        {"version": 1, "reason": "Second", "priority": "medium", "flags": ["interpreter"],
         "victim": {"name": "Made Up Two", "age": 40}},
    ]  # fmt: skip
    barrier = threading.Barrier(2)

    def patch(index: int) -> tuple[int, dict]:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {tokens[index]}")
        barrier.wait()
        try:
            answer = api.patch(f"/api/v1/cases/{case.number}/", bodies[index], format="json")
            return answer.status_code, answer.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(patch, range(2)))

    assert sorted(code for code, _ in results) == [200, 409]
    winner = next(i for i, (code, _) in enumerate(results) if code == 200)
    loser_body = next(body for code, body in results if code == 409)
    assert loser_body["version"] == 2
    assert loser_body["changed_by"] == staff[winner].username
    case.refresh_from_db()
    victim = CasePerson.objects.get(case=case, role="victim").person
    wanted = bodies[winner]
    # all of the winner's change, none of the other's
    assert case.version == 2
    assert case.priority == wanted["priority"]
    assert list(case.flag_links.values_list("flag__code", flat=True)) == wanted["flags"]
    assert (victim.name, victim.age) == (wanted["victim"]["name"], wanted["victim"]["age"])
    reason = f"Changed: {wanted['reason']}"
    assert case.history.filter(version=2).get().history_change_reason == reason
    assert set(
        CaseFlag.history.filter(case_id=case.pk).values_list("history_change_reason", flat=True)
    ) == {reason}
    assert victim.history.first().history_change_reason == reason
