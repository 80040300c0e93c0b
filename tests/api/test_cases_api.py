"""The REST API skeleton: lists, one case, history, lookups, organisations, and its error rules."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts.models import ApiToken
from accounts.services import issue_api_token
from cases.models import AccessLog, Case, CasePerson
from cases.services import move_case
from cases.workflow import IllegalMoveError
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    PersonFactory,
    ReferralFactory,
    ReportFactory,
    category,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(operator) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")
    return client


def test_list_is_paged_and_filtered(api, helpline) -> None:
    sms = CaseFactory(helpline=helpline, channel=Case.Channel.SMS, priority="high")
    web = CaseFactory(helpline=helpline, channel=Case.Channel.WEB, category=category("physical"))
    data = api.get("/api/v1/cases/").json()
    assert data["count"] == 2
    assert {c["number"] for c in data["results"]} == {sms.number, web.number}
    assert [c["number"] for c in api.get("/api/v1/cases/?channel=web").json()["results"]] == [
        web.number
    ]
    assert [c["number"] for c in api.get("/api/v1/cases/?category=physical").json()["results"]] == [
        web.number
    ]
    assert [c["number"] for c in api.get("/api/v1/cases/?priority=high").json()["results"]] == [
        sms.number
    ]
    assert api.get("/api/v1/cases/?created_after=2000-01-01T00:00:00Z").json()["count"] == 2
    assert api.get("/api/v1/cases/?created_before=2000-01-01T00:00:00Z").json()["count"] == 0
    assert api.get("/api/v1/cases/?status=bogus").status_code == 400


def test_q_finds_by_number_name_or_phone_in_any_format(api, helpline) -> None:
    by_number = CaseFactory(helpline=helpline)
    by_name = CaseFactory(helpline=helpline)
    CasePersonFactory(case=by_name, person=PersonFactory(name="Maryam  Testcase", phone=""))
    by_phone = CaseFactory(helpline=helpline)
    ReportFactory(case=by_phone, sender="+447700900777")

    def found(q: str) -> list[str]:
        return [c["number"] for c in api.get("/api/v1/cases/", {"q": q}).json()["results"]]

    assert found(by_number.number) == [by_number.number]
    assert found("maryam testcase") == [by_name.number]
    assert found("07700 900777") == [by_phone.number]
    assert found("+44 7700 900777") == [by_phone.number]
    assert found("nobody") == []


def test_one_case_has_the_contract_fields(api, helpline, cso, operator) -> None:
    case = CaseFactory(helpline=helpline)
    ReportFactory(case=case, body="Made-up report text", sender="+447700900123")
    CasePersonFactory(
        case=case, role=CasePerson.Role.PERPETRATOR, person=PersonFactory(name="Made Up")
    )
    ReferralFactory(case=case, organisation=cso, referred_by=operator)

    data = api.get(f"/api/v1/cases/{case.number}/").json()

    for key in ("number", "status", "channel", "category", "priority", "created_at", "claimed_by"):
        assert key in data
    report = data["reports"][0]
    assert {"channel", "received_at", "from", "body", "recording_url", "transcription"} <= set(
        report
    )
    assert (report["from"], report["body"]) == ("+447700900123", "Made-up report text")
    assert data["people"][0]["role"] == "perpetrator"
    assert data["referrals"][0]["organisation"] == "safe-haven"
    assert data["services"] == []
    assert AccessLog.objects.filter(case=case, via="api", action="view").count() == 1


def test_history_is_the_full_timeline(api, helpline, operator) -> None:
    case = CaseFactory(helpline=helpline)
    move_case(case=case, to=Case.Status.IN_TRIAGE, actor=operator, reason="Claimed")

    history = api.get(f"/api/v1/cases/{case.number}/history/").json()

    assert [h["action"] for h in history] == ["created", "changed"]
    last = history[-1]
    assert (last["by"], last["reason"]) == (operator.username, "Claimed")
    status_change = next(c for c in last["changes"] if c["field"] == "status")
    assert (status_change["from"], status_change["to"]) == ("new", "in_triage")
    assert AccessLog.objects.filter(case=case, action="history").count() == 1


def test_history_never_shows_encrypted_values(api, helpline, operator) -> None:
    link = CasePersonFactory(case=CaseFactory(helpline=helpline), person__name="First Name")
    link.person.name = "CANARY-NEW-NAME"
    link.person.save()
    body = api.get(f"/api/v1/cases/{link.case.number}/history/").content.decode()
    assert "CANARY-NEW-NAME" not in body
    assert '"field":"name"' in body


def test_lookups_have_the_contract_shape(api) -> None:
    data = api.get("/api/v1/lookups/").json()
    contract = {"categories", "service_types", "discard_reasons", "relationships"}
    assert set(data) == contract | {"follow_up_kinds"}  # the contract's lists, and one extension
    assert {"code": "physical", "label": "Physical violence"} in data["categories"]
    assert all(set(entry) == {"code", "label"} for entries in data.values() for entry in entries)


def test_retired_lookup_entries_are_not_offered(api) -> None:
    retired = category("other")
    retired.is_active = False
    retired.save()
    assert "other" not in {c["code"] for c in api.get("/api/v1/lookups/").json()["categories"]}


def test_organisations_lists_where_cases_can_be_referred(api, cso, other_cso, helpline) -> None:
    data = api.get("/api/v1/organisations/").json()
    assert data == [
        {"slug": "legal-aid", "name": "Legal Aid", "kind": "cso"},
        {"slug": "safe-haven", "name": "Safe Haven", "kind": "cso"},
    ]


def test_errors_follow_the_contract(api, other_helpline, operator, otp_client) -> None:
    theirs = CaseFactory(helpline=other_helpline)
    assert api.get(f"/api/v1/cases/{theirs.number}/").status_code == 404
    assert api.get("/api/v1/cases/LNT-2026-999999/").status_code == 404
    assert APIClient().get("/api/v1/cases/").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert bad.get("/api/v1/cases/").status_code == 401
    # a verified browser session works too
    assert otp_client(operator).get("/api/v1/cases/").status_code == 200


def test_illegal_moves_are_409() -> None:
    class Probe(APIView):
        def get(self, request):  # type: ignore[no-untyped-def]
            raise IllegalMoveError("new", "closed")

    response = Probe.as_view(authentication_classes=[], permission_classes=[])(
        APIRequestFactory().get("/")
    )
    assert response.status_code == 409
    assert "cannot become closed" in response.data["detail"]


def test_tokens_are_stored_hashed_and_stop_with_the_user(operator) -> None:
    token = issue_api_token(user=operator)
    assert not ApiToken.objects.filter(digest=token).exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/cases/").status_code == 200
    operator.is_active = False
    operator.save()
    assert client.get("/api/v1/cases/").status_code == 401


def test_schema_describes_the_api(client) -> None:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/cases/{number}/history/" in response.content


def test_api_docs_are_served_from_here(client) -> None:
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "https://" not in html
    assert "<script>" not in html  # the initialiser is a separate file, allowed by the CSP
    assert client.get("/api/docs/?script=").status_code == 200


def test_issue_token_command_prints_a_working_token(operator, capsys) -> None:
    call_command("issue_token", operator.username)
    token = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/cases/").status_code == 200


def test_list_query_count_does_not_grow_with_cases(api, helpline, django_assert_max_num_queries):
    for _ in range(30):
        CaseFactory(helpline=helpline, claimed_by=None, category=category("physical"))
    with django_assert_max_num_queries(11):  # flags: one query; the audit row: three (its chain)
        assert api.get("/api/v1/cases/").json()["count"] == 30


def test_a_case_says_its_area_by_code(api, helpline) -> None:
    from cases.models import Area

    north = Area.objects.get(code="north")
    with_area = CaseFactory(helpline=helpline, area=north)
    CaseFactory(helpline=helpline)
    assert api.get(f"/api/v1/cases/{with_area.number}/").json()["area"] == "north"
    listed = {c["number"]: c["area"] for c in api.get("/api/v1/cases/").json()["results"]}
    assert list(listed.values()).count(None) == 1
    assert [c["number"] for c in api.get("/api/v1/cases/?area=north").json()["results"]] == [
        with_area.number
    ]


TRIAGE_CALLS = {
    "verify": {"category": "physical", "priority": "standard"},
    "discard": {"reason": "prank"},
    "release": {},
}


@pytest.mark.parametrize("action", sorted(TRIAGE_CALLS))
@pytest.mark.parametrize("status", [s for s in Case.Status.values if s != Case.Status.IN_TRIAGE])
def test_triage_on_a_case_not_in_triage_is_409_with_its_status(
    action, status, supervisor, helpline
) -> None:
    # given: a supervisor may act on anyone's claim, so only the state can refuse
    case = CaseFactory(helpline=helpline, status=status)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=supervisor)}")

    # when
    answer = client.post(
        f"/api/v1/cases/{case.number}/{action}/", TRIAGE_CALLS[action], format="json"
    )

    # then
    assert answer.status_code == 409, answer.content
    assert answer.json()["status"] == status
    case.refresh_from_db()
    assert case.status == status


def test_bad_triage_input_is_still_400(api, operator, helpline) -> None:
    case = CaseFactory(helpline=helpline)
    move_case(case=case, to=Case.Status.IN_TRIAGE, actor=operator, reason="Claimed")
    assert api.post(f"/api/v1/cases/{case.number}/verify/", {}, format="json").status_code == 400
    answer = api.post(f"/api/v1/cases/{case.number}/discard/", {"reason": "nope"}, format="json")
    assert answer.status_code == 400


@pytest.mark.parametrize("status", [s for s in Case.Status.values if s != Case.Status.DISCARDED])
def test_reinstate_only_from_discarded(status, supervisor, helpline) -> None:
    # before: a claimed case could be "reinstated", silently releasing someone's claim
    case = CaseFactory(helpline=helpline, status=status)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=supervisor)}")
    answer = client.post(
        f"/api/v1/cases/{case.number}/reinstate/", {"reason": "Wrongly discarded"}, format="json"
    )
    assert answer.status_code == 409
    assert answer.json()["status"] == status
    case.refresh_from_db()
    assert case.status == status


def test_reassigning_a_case_nobody_holds_is_409(supervisor, operator, helpline) -> None:
    case = CaseFactory(helpline=helpline)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=supervisor)}")
    answer = client.post(
        f"/api/v1/cases/{case.number}/reassign/", {"to": operator.username}, format="json"
    )
    assert answer.status_code == 409
    assert answer.json()["status"] == "new"
