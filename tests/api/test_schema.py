"""The OpenAPI schema at /api/schema/ lists every answer an operation gives, with its body (issue 11,
item 14; project.schema), and what it forbids the API refuses. The fuzz run over every operation is
tests/api/test_schema_fuzz.py; these are the rules it relies on, each checked directly."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case
from tests.factories import CaseFactory, category

pytestmark = pytest.mark.django_db

WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture
def openapi(client) -> dict[str, Any]:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _api(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return api


def _operations(openapi: dict[str, Any]):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _body_schema(openapi: dict[str, Any], operation: dict[str, Any], code: str) -> dict[str, Any]:
    ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
    return openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_every_operation_lists_its_error_answers(openapi) -> None:
    operations = list(_operations(openapi))
    assert len(operations) > 20
    for path, method, operation in operations:
        codes = set(operation["responses"])
        where = f"{method.upper()} {path}"
        assert {"401", "403", "503"} <= codes, where
        assert "Retry-After" in operation["responses"]["503"]["headers"], where
        on_one_record = any(p["in"] == "path" for p in operation.get("parameters", []))
        if on_one_record:
            assert "404" in codes, where
        if method in WRITES:
            assert "400" in codes, where
            assert (
                _body_schema(openapi, operation, "400")
                is openapi["components"]["schemas"]["ValidationError"]
            )
        if method in WRITES and on_one_record:
            assert "409" in codes, where
            assert "status" in _body_schema(openapi, operation, "409")["properties"], where


def test_paged_lists_document_a_page_past_the_end(openapi, operator) -> None:
    responses = openapi["paths"]["/api/v1/cases/"]["get"]["responses"]
    assert {"200", "400", "404"} <= set(responses)
    answer = _api(operator).get("/api/v1/cases/", {"page": 99})
    assert answer.status_code == 404
    jsonschema.validate(answer.json(), openapi["components"]["schemas"]["Error"])


def test_a_forbidden_move_answers_the_documented_conflict(openapi, operator, helpline) -> None:
    case = CaseFactory(helpline=helpline, status=Case.Status.RESOLVED, category=category())
    answer = _api(operator).post(
        f"/api/v1/cases/{case.number}/reopen/", {"reason": "Made-up reason"}, format="json"
    )
    assert answer.status_code == 409
    operation = openapi["paths"]["/api/v1/cases/{number}/reopen/"]["post"]
    jsonschema.validate(answer.json(), _body_schema(openapi, operation, "409"))
    assert answer.json()["status"] == "resolved"


def test_field_errors_match_the_documented_body(openapi, operator, helpline) -> None:
    case = CaseFactory(helpline=helpline, status=Case.Status.IN_TRIAGE, claimed_by=operator)
    answer = _api(operator).post(
        f"/api/v1/cases/{case.number}/verify/",
        {"category": "", "perpetrators": [{"age": "old"}]},
        format="json",
    )
    assert answer.status_code == 400
    assert "category" in answer.json()
    operation = openapi["paths"]["/api/v1/cases/{number}/verify/"]["post"]
    jsonschema.validate(answer.json(), _body_schema(openapi, operation, "400"))


def test_unknown_api_paths_are_the_apis_json_404_after_the_sign_in_check(client, operator) -> None:
    assert client.get("/api/v1/no-such-thing/").status_code == 401
    for method in ("get", "post", "delete"):
        answer = getattr(_api(operator), method)("/api/v1/cases/LNT-2026-000001/no-such-step/")
        assert answer.status_code == 404
        assert answer["Content-Type"] == "application/json"
        assert set(answer.json()) == {"detail"}


def test_take_next_documents_its_empty_queue(openapi, operator) -> None:
    assert "204" in openapi["paths"]["/api/v1/cases/take-next/"]["post"]["responses"]
    assert _api(operator).post("/api/v1/cases/take-next/").status_code == 204


def test_fields_an_answer_leaves_empty_are_nullable(openapi) -> None:
    case = openapi["components"]["schemas"]["CaseList"]["properties"]
    assert case["claimed_by"].get("nullable") is True
    assert case["category"].get("nullable") is True
    assert "nullable" not in case["helpline"]


def test_empty_optional_query_parameters_are_documented_as_not_sent(openapi, operator) -> None:
    parameters = openapi["paths"]["/api/v1/cases/"]["get"]["parameters"]
    created_before = next(p for p in parameters if p["name"] == "created_before")
    assert created_before["allowEmptyValue"] is True
    assert _api(operator).get("/api/v1/cases/", {"created_before": ""}).status_code == 200


@pytest.mark.parametrize("value", ["maybe", "null"])
def test_snapshot_refuses_a_shareable_that_is_no_boolean(supervisor, value) -> None:
    # before: anything but "1" or "true" was read as "no" and answered 200
    answer = _api(supervisor).get("/api/v1/reports/snapshot/", {"shareable": value})
    assert answer.status_code == 400
    assert "shareable" in answer.json()


def test_snapshot_reads_shareable_as_a_boolean(supervisor) -> None:
    api = _api(supervisor)
    for value in ("true", "1", "false", "0", ""):
        assert api.get("/api/v1/reports/snapshot/", {"shareable": value}).status_code == 200


def test_a_time_offset_postgresql_cannot_store_is_read_in_utc(
    operator, supervisor, helpline
) -> None:
    # found by the fuzz run on PostgreSQL: an offset past 15:59 was a 500 (Python accepts 23:59)
    case = CaseFactory(helpline=helpline)
    far_west = "1687-10-07T22:11:33-19:42"
    listed = _api(operator).get("/api/v1/cases/", {"created_after": far_west})
    assert listed.status_code == 200
    assert [c["number"] for c in listed.json()["results"]] == [case.number]
    report = _api(supervisor).get("/api/v1/reports/snapshot/", {"created_after": far_west})
    assert report.status_code == 200
    too_early = _api(operator).get(
        "/api/v1/cases/", {"created_before": "0001-01-01T00:00:00+05:00"}
    )
    assert too_early.status_code == 400
    assert "created_before" in too_early.json()


def test_media_type_refusals_are_documented_and_answered(openapi, operator, helpline) -> None:
    case = CaseFactory(helpline=helpline, status=Case.Status.IN_TRIAGE, claimed_by=operator)
    api = _api(operator)
    not_acceptable = api.get("/api/v1/lookups/", HTTP_ACCEPT="text/csv")
    assert not_acceptable.status_code == 406
    assert "406" in openapi["paths"]["/api/v1/lookups/"]["get"]["responses"]
    unsupported = api.post(f"/api/v1/cases/{case.number}/notes/", "text", content_type="text/plain")
    assert unsupported.status_code == 415
    assert set(unsupported.json()) == {"detail"}
    assert "415" in openapi["paths"]["/api/v1/cases/{number}/notes/"]["post"]["responses"]


def test_referral_list_documents_and_checks_its_status_filter(openapi, operator) -> None:
    parameters = openapi["paths"]["/api/v1/referrals/"]["get"]["parameters"]
    status = next(p for p in parameters if p["name"] == "status")
    assert "pending" in status["schema"]["enum"]
    api = _api(operator)
    assert api.get("/api/v1/referrals/", {"status": "pending"}).status_code == 200
    assert api.get("/api/v1/referrals/", {"status": ""}).status_code == 200
    # before: an unknown status was ignored and every referral listed
    refused = api.get("/api/v1/referrals/", {"status": "pendng"})
    assert refused.status_code == 400
    assert "status" in refused.json()


def test_the_schema_is_valid_openapi_without_warnings(tmp_path) -> None:
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
