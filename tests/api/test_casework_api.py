"""Casework over the API, as CONTRACT.md writes it: refer, accept, decline (and withdraw), services,
resolve, close, history; with its error rules (400 fields, 403, 404 never 403 for a case the user
cannot see, 409) and the need-to-know reads of the receiving organisation."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, CaseNote
from referrals.models import Referral, ServiceRecord
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    PersonFactory,
    ReferralFactory,
    ReportFactory,
)

pytestmark = pytest.mark.django_db

S = Case.Status
INTERNAL_CANARY = "CANARY-HELPLINE-INTERNAL-3K"
CSO_NOTES_CANARY = "CANARY-CSO-NOTES-8P"


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


@pytest.fixture
def case(helpline, operator, cso, other_cso) -> Case:
    case = CaseFactory(helpline=helpline, status=S.VERIFIED, claimed_by=operator)
    CasePersonFactory(case=case, person=PersonFactory(name="Testperson Victim"))
    ReportFactory(case=case, body="Made-up first message")
    return case


def url(case: Case, action: str) -> str:
    return f"/api/v1/cases/{case.number}/{action}/"


def test_the_whole_journey_over_the_api(case, operator, cso_rep, helpline) -> None:
    helpline_api, cso_api = api_for(operator), api_for(cso_rep)
    helpline_api.post(url(case, "notes"), {"text": INTERNAL_CANARY}, format="json")

    answer = helpline_api.post(
        url(case, "referrals"),
        {
            "organisation": "safe-haven",
            "assignee": "chidi",
            "reason": "Counselling",
            "consent": True,
        },
        format="json",
    )
    assert answer.status_code == 201
    referral = answer.json()
    assert referral["status"] == "pending"
    assert referral["organisation"] == "safe-haven"
    assert referral["assignee"] == "chidi"
    assert referral["deadline"]

    # need to know: the background without asking again, never the helpline's internal notes
    seen = cso_api.get(f"/api/v1/cases/{case.number}/")
    assert seen.status_code == 200
    body = seen.json()
    assert body["people"][0]["name"] == "Testperson Victim"
    assert body["reports"][0]["body"] == "Made-up first message"
    assert body["referrals"][0]["reason"] == "Counselling"
    assert INTERNAL_CANARY not in seen.content.decode()

    accepted = cso_api.post(f"/api/v1/referrals/{referral['id']}/accept/")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert cso_api.post(f"/api/v1/referrals/{referral['id']}/accept/").status_code == 409

    service = cso_api.post(
        url(case, "services"),
        {
            "service_type": "counselling",
            "provided_at": "2026-11-28T10:00:00+00:00",
            "duration_minutes": 50,
            "notes": CSO_NOTES_CANARY,
        },
        format="json",
    )
    assert service.status_code == 201
    assert service.json()["service_type"] == "counselling"
    assert service.json()["notes"] == CSO_NOTES_CANARY
    # the helpline sees that a service was given, not the CSO's notes on it
    helpline_view = helpline_api.get(f"/api/v1/cases/{case.number}/").json()
    assert helpline_view["services"][0]["service_type"] == "counselling"
    assert helpline_view["services"][0]["notes"] is None

    resolved = cso_api.post(url(case, "resolve"), {"remark": "Sessions done"}, format="json")
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert cso_api.get(f"/api/v1/cases/{case.number}/").status_code == 404  # access ended

    closed = helpline_api.post(
        url(case, "close"), {"remark": "Checked", "victim_check": "checked"}, format="json"
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"

    history = helpline_api.get(url(case, "history")).json()
    reasons = [entry["reason"] for entry in history]
    for expected in (
        "Referred to Safe Haven",
        "Referral accepted by Safe Haven",
        "Service logged: Counselling",
        "Safe Haven completed its work: resolved",
        "Closed",
    ):
        assert expected in reasons
    assert CSO_NOTES_CANARY not in str(history)
    assert INTERNAL_CANARY not in str(history)


def test_referral_payload_errors_are_400_with_fields_and_store_nothing(case, operator) -> None:
    api = api_for(operator)
    for payload, field in (
        ({"consent": True}, "organisation"),
        ({"organisation": "no-such-org", "consent": True}, "organisation"),
        ({"organisation": "north-helpline", "consent": True}, "organisation"),
        ({"organisation": "safe-haven"}, "consent"),
        ({"organisation": "safe-haven", "consent": True, "assignee": "nobody"}, "assignee"),
    ):
        answer = api.post(url(case, "referrals"), payload, format="json")
        assert answer.status_code == 400, payload
        assert field in answer.json(), payload
    no_consent = api.post(
        url(case, "referrals"), {"organisation": "safe-haven", "consent": False}, format="json"
    )
    assert no_consent.status_code == 400
    assert "consent" in no_consent.json()["detail"]
    assert not Referral.objects.exists()


def test_supervisor_override_over_the_api(case, supervisor, operator) -> None:
    payload = {"organisation": "safe-haven", "consent": False, "consent_override": "Unconscious"}
    assert api_for(operator).post(url(case, "referrals"), payload, format="json").status_code == 403
    answer = api_for(supervisor).post(url(case, "referrals"), payload, format="json")
    assert answer.status_code == 201
    assert answer.json()["consent_overridden"] is True
    assert CaseNote.objects.get(kind=CaseNote.Kind.CONSENT_OVERRIDE).text == "Unconscious"


def test_decline_and_withdraw(case, operator, cso_rep, other_cso_rep) -> None:
    helpline_api, cso_api = api_for(operator), api_for(cso_rep)
    first = helpline_api.post(
        url(case, "referrals"), {"organisation": "safe-haven", "consent": True}, format="json"
    ).json()
    assert cso_api.post(f"/api/v1/referrals/{first['id']}/decline/", {}).status_code == 400
    # another organisation cannot even see it exists
    assert (
        api_for(other_cso_rep).post(f"/api/v1/referrals/{first['id']}/accept/").status_code == 404
    )
    declined = cso_api.post(
        f"/api/v1/referrals/{first['id']}/decline/", {"reason": "No capacity"}, format="json"
    )
    assert declined.status_code == 200
    assert declined.json()["decline_reason"] == "No capacity"
    assert helpline_api.get(f"/api/v1/cases/{case.number}/").json()["status"] == "verified"

    second = helpline_api.post(
        url(case, "referrals"), {"organisation": "legal-aid", "consent": True}, format="json"
    ).json()
    assert (
        api_for(other_cso_rep).post(f"/api/v1/referrals/{second['id']}/withdraw/").status_code
        == 403
    )
    withdrawn = helpline_api.post(f"/api/v1/referrals/{second['id']}/withdraw/")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"


def test_monitors_read_but_never_act(case, monitor, operator) -> None:
    api = api_for(monitor)
    assert api.get(f"/api/v1/cases/{case.number}/").status_code == 200
    for action, payload in (
        ("referrals", {"organisation": "safe-haven", "consent": True}),
        ("services", {"service_type": "counselling"}),
        ("notes", {"text": "x"}),
        ("close", {"remark": "x"}),
    ):
        assert api.post(url(case, action), payload, format="json").status_code == 403, action
    assert not Referral.objects.exists()
    assert not ServiceRecord.objects.exists()


def test_cases_the_user_cannot_see_are_404_for_every_casework_call(case, other_operator) -> None:
    api = api_for(other_operator)
    for action in (
        "referrals",
        "services",
        "notes",
        "follow-ups",
        "resolve",
        "close",
        "send-back",
        "reopen",
        "history",
    ):
        method = api.get if action == "history" else api.post
        assert method(url(case, action), {}, format="json").status_code == 404, action


def test_illegal_moves_are_409(case, operator) -> None:
    api = api_for(operator)
    assert api.post(url(case, "close"), {"remark": "x"}, format="json").status_code == 409
    assert api.post(url(case, "reopen"), {"reason": "x"}, format="json").status_code == 409
    new = CaseFactory(helpline=case.helpline)
    answer = api.post(
        url(new, "referrals"), {"organisation": "safe-haven", "consent": True}, format="json"
    )
    assert answer.status_code == 409


def test_service_payload_errors(case, operator) -> None:
    api = api_for(operator)
    for payload in (
        {},
        {"service_type": "no-such-type"},
        {"service_type": "counselling", "provided_at": "yesterday"},
        {"service_type": "counselling", "duration_minutes": -5},
        {"service_type": "counselling", "provided_at": "2999-01-01T00:00:00+00:00"},
    ):
        assert api.post(url(case, "services"), payload, format="json").status_code == 400, payload
    assert not ServiceRecord.objects.exists()


def test_follow_ups_over_the_api(case, operator) -> None:
    api = api_for(operator)
    made = api.post(
        url(case, "follow-ups"),
        {"kind": "call-back", "due_at": "2026-12-01T09:00:00+00:00", "notes": "Morning only"},
        format="json",
    )
    assert made.status_code == 201
    assert made.json()["assignee"] == "amina"
    done = api.post(f"/api/v1/follow-ups/{made.json()['id']}/done/")
    assert done.status_code == 200
    assert done.json()["done_at"]
    listed = api.get(f"/api/v1/cases/{case.number}/").json()["follow_ups"]
    assert [f["kind"] for f in listed] == ["call-back"]


def test_lookups_list_follow_up_kinds(operator) -> None:
    lookups = api_for(operator).get("/api/v1/lookups/").json()
    assert {"code": "court-date", "label": "Court date"} in lookups["follow_up_kinds"]


def test_referral_list_for_the_receiving_organisation(case, operator, cso_rep) -> None:
    api_for(operator).post(
        url(case, "referrals"), {"organisation": "safe-haven", "consent": True}, format="json"
    )
    listed = api_for(cso_rep).get("/api/v1/referrals/?status=pending").json()
    assert [r["status"] for r in listed["results"]] == ["pending"]


@pytest.mark.parametrize("status", [s for s in S.values if s != S.CLOSED])
def test_reopen_only_from_closed(status, helpline, operator, cso_rep) -> None:
    # given: a case in any state but closed, here with a referral the CSO has not answered yet
    case = CaseFactory(helpline=helpline, status=status, claimed_by=operator)
    api = api_for(operator)
    pending = None
    if status == S.REFERRED:
        pending = ReferralFactory(
            case=case, organisation=cso_rep.organisation, status=Referral.Status.PENDING,
            referred_by=operator,
        )  # fmt: skip

    # when
    answer = api.post(url(case, "reopen"), {"reason": "The victim called again"}, format="json")

    # then: 409 with the status, and nothing moved
    assert answer.status_code == 409
    assert answer.json()["status"] == status
    case.refresh_from_db()
    assert case.status == status
    if pending is not None:
        # ...so the referral still moves the case when it is accepted
        accepted = api_for(cso_rep).post(f"/api/v1/referrals/{pending.pk}/accept/")
        assert accepted.status_code == 200
        case.refresh_from_db()
        assert case.status == S.IN_SERVICE


def test_reopen_from_closed_still_works(helpline, operator) -> None:
    case = CaseFactory(helpline=helpline, status=S.CLOSED, claimed_by=operator)
    answer = api_for(operator).post(url(case, "reopen"), {"reason": "Called again"}, format="json")
    assert answer.status_code == 200
    case.refresh_from_db()
    assert case.status == S.VERIFIED


# Each casework call bound to a state, from a state it does not take, with a payload that is
# otherwise valid: the refusal is a 409 that says the case's status (CONTRACT.md), and nothing moves.
STATE_BOUND = [
    ("referrals", S.NEW, {"organisation": "safe-haven", "consent": True}),
    ("referrals", S.RESOLVED, {"organisation": "safe-haven", "consent": True}),
    ("services", S.CLOSED, {"service_type": "counselling", "provided_at": "2026-01-05T09:00:00Z"}),
    ("follow-ups", S.NEW, {"kind": "call-back", "due_at": "2026-12-01T09:00:00+00:00"}),
    ("resolve", S.RESOLVED, {"remark": "Counselling finished"}),
    ("send-back", S.IN_SERVICE, {"remark": "The victim still needs help"}),
    ("close", S.IN_SERVICE, {"remark": "x", "checked_with_victim": True}),
]


@pytest.mark.parametrize(("action", "status", "payload"), STATE_BOUND)
def test_a_call_the_state_does_not_take_is_409_with_the_status(
    action, status, payload, helpline, operator, cso, cso_rep
) -> None:
    case = CaseFactory(helpline=helpline, status=status, claimed_by=operator)
    actor = operator
    if action == "resolve":  # only an organisation serving the case resolves it
        ReferralFactory(
            case=case, organisation=cso, status=Referral.Status.ACCEPTED, referred_by=operator
        )
        actor = cso_rep

    answer = api_for(actor).post(url(case, action), payload, format="json")

    assert answer.status_code == 409, answer.content
    assert answer.json()["status"] == status
    assert answer.json()["detail"]
    case.refresh_from_db()
    assert case.status == status
