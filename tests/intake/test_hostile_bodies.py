"""API bodies a client could send to break the server (SECURITY IN-06): nested too deep, too big,
not JSON at all. Each is a 400 with nothing changed, never a 500 (project.json_parser)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case
from cases.services import IncomingReport, open_case
from project.json_parser import MAX_DEPTH

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(operator) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")
    return client


@pytest.fixture
def case(operator) -> Case:
    opened, _ = open_case(
        helpline=operator.organisation,
        report=IncomingReport(channel="sms", source_id="SM-hostile", sender="+447700900123"),
    )
    return opened


def nested(depth: int, leaf: str = '"Made-up note"') -> str:
    return '{"text": ' + "[" * (depth - 1) + leaf + "]" * (depth - 1) + "}"


@pytest.mark.parametrize(
    "body",
    [
        nested(100_000),  # Python's decoder runs out of recursion: a 500 before
        nested(MAX_DEPTH + 1),
        '{"text": NaN}',
        '{"text": "x"',
        b'{"text": "\xff"}',
    ],
    ids=["very-deep", "just-too-deep", "nan", "truncated", "not-utf8"],
)
def test_hostile_json_is_400_and_changes_nothing(api, case, body) -> None:
    response = api.post(
        f"/api/v1/cases/{case.number}/notes/", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert not case.notes.exists()


def test_a_body_over_the_upload_limit_is_400(api, case, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"text": "' + "x" * 2000 + '"}'
    response = api.post(
        f"/api/v1/cases/{case.number}/notes/", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert not case.notes.exists()


def test_ordinary_json_still_works(api, case) -> None:
    response = api.post(
        f"/api/v1/cases/{case.number}/notes/", data=nested(1), content_type="application/json"
    )
    assert response.status_code == 201
    assert case.notes.get().text == "Made-up note"


def _claimed(api, case) -> None:
    assert api.post(f"/api/v1/cases/{case.number}/claim/").status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"category": "physical", "priority": "high", "flags": ["\\u0000"]}', "application/json"),
        ('{"category": "physical", "priority": "high", "\\u0000": 1}', "application/json"),
        ("category=physical&priority=high&flags=%00", "application/x-www-form-urlencoded"),
        ("category=physical&priority=high&%00=1", "application/x-www-form-urlencoded"),
    ],
    ids=["json-value", "json-key", "form-value", "form-key"],
)
def test_a_nul_character_anywhere_in_a_body_is_400_and_changes_nothing(
    api, case, body, content_type
) -> None:
    """PostgreSQL refuses NUL in text: a list's code looked up with one was a 500 there (found by
    the schema fuzz on the real parts); now no value or key with one reaches a view."""
    _claimed(api, case)
    response = api.post(
        f"/api/v1/cases/{case.number}/verify/", data=body, content_type=content_type
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == "in_triage"
