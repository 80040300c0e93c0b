"""Follow-ups do not vanish when a CSO resolves (issue 11 item 10): the resolver is shown their open
follow-ups and marks them done or hands them to the helpline; the timeline tells it in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, FollowUpKind
from cases.selectors import case_history
from cases.timeline import readable
from referrals.models import FollowUp
from referrals.services import (
    FollowUpEntry,
    ReferralRequest,
    accept_referral,
    add_follow_up,
    refer_case,
    remind_due_follow_ups,
)
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

S = Case.Status


@pytest.fixture
def in_service(helpline, operator, cso, cso_rep) -> Case:
    case = CaseFactory(helpline=helpline, status=S.VERIFIED, claimed_by=operator)
    request = ReferralRequest(organisation=cso, reason="Needs counselling", consent=True)
    accept_referral(referral=refer_case(case=case, actor=operator, request=request), actor=cso_rep)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def follow_up(in_service, cso_rep) -> FollowUp:
    entry = FollowUpEntry(
        kind=FollowUpKind.objects.get(code="call-back"),
        due_at=timezone.now() + timedelta(days=2),
        notes="Made-up note: ring after the hearing",
    )
    return add_follow_up(case=in_service, actor=cso_rep, entry=entry)


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


def resolve_url(case: Case) -> str:
    return f"/api/v1/cases/{case.number}/resolve/"


def test_resolving_with_open_follow_ups_asks_what_becomes_of_them(
    in_service, follow_up, cso_rep
) -> None:
    answer = api_for(cso_rep).post(resolve_url(in_service), {"remark": "Done"}, format="json")

    assert answer.status_code == 400
    assert answer.json()["open_follow_ups"] == [
        {"id": follow_up.pk, "kind": follow_up.kind.code, "due_at": follow_up.due_at.isoformat()}
    ]
    in_service.refresh_from_db()
    assert in_service.status == S.IN_SERVICE


def test_the_resolver_may_mark_them_done(in_service, follow_up, cso_rep) -> None:
    answer = api_for(cso_rep).post(
        resolve_url(in_service), {"remark": "Done", "follow_ups": "complete"}, format="json"
    )

    assert answer.status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None
    assert follow_up.done_by == cso_rep
    assert follow_up.organisation == cso_rep.organisation


def test_handed_over_they_go_to_the_holder_who_sees_them_in_the_timeline(
    in_service, follow_up, cso_rep, operator, otp_client
) -> None:
    # when
    answer = api_for(cso_rep).post(
        resolve_url(in_service), {"remark": "Done", "follow_ups": "hand_over"}, format="json"
    )

    # then: the holder at the helpline has it, still open, and is told
    assert answer.status_code == 200
    follow_up.refresh_from_db()
    assert (follow_up.organisation, follow_up.assignee) == (operator.organisation, operator)
    assert follow_up.done_at is None
    assert operator.notifications.filter(kind="case.assigned").exists()
    page = otp_client(operator).get(f"/cases/{in_service.number}/").content.decode()
    assert f'action="/follow-ups/{follow_up.pk}/done/"' in page
    # ...and the timeline says so in words: set, handed over, with names not ids
    timeline = readable(case_history(operator, in_service))
    said = [(e.what, e.reason) for e in timeline if e.what.startswith("Follow-up")]
    label = follow_up.kind.label
    assert said == [
        ("Follow-up created", f"Follow-up set: {label}"),
        ("Follow-up changed", f"Follow-up handed to the helpline ({operator.username}): {label}"),
    ]
    handed = [e for e in timeline if e.reason.startswith("Follow-up handed")][0]
    assert f"Assignee: {cso_rep.username} → {operator.username}" in handed.changes
    assert f"Organisation: {cso_rep.organisation.name} → {operator.organisation.name}" in (
        handed.changes
    )
    assert "Follow-up handed to the helpline" in page


def test_without_a_holder_a_supervisor_takes_them(
    in_service, follow_up, cso_rep, supervisor
) -> None:
    Case.objects.filter(pk=in_service.pk).update(claimed_by=None)
    answer = api_for(cso_rep).post(
        resolve_url(in_service), {"remark": "Done", "follow_ups": "hand_over"}, format="json"
    )
    assert answer.status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.assignee == supervisor


def test_the_resolve_page_lists_them_and_asks(in_service, follow_up, cso_rep, otp_client) -> None:
    client = otp_client(cso_rep)
    url = f"/cases/{in_service.number}/resolve/"

    page = client.get(url).content.decode()
    assert "Open follow-ups (1)" in page
    assert follow_up.kind.label in page
    assert 'name="follow_ups"' in page

    refused = client.post(url, {"remark": "Six sessions given"})
    assert refused.status_code == 400
    assert "Say whether your open follow-ups are done or go to the helpline" in (
        refused.content.decode()
    )

    done = client.post(url, {"remark": "Six sessions given", "follow_ups": "complete"})
    assert done.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None


def test_without_open_follow_ups_nothing_is_asked(in_service, cso_rep, otp_client) -> None:
    client = otp_client(cso_rep)
    url = f"/cases/{in_service.number}/resolve/"
    assert 'name="follow_ups"' not in client.get(url).content.decode()
    assert client.post(url, {"remark": "Six sessions given"}).status_code == 302


def test_done_and_reminded_read_in_words(in_service, follow_up, cso_rep) -> None:
    remind_due_follow_ups(now=follow_up.due_at + timedelta(minutes=1))
    done = api_for(cso_rep).post(f"/api/v1/follow-ups/{follow_up.pk}/done/", format="json")
    assert done.status_code == 200
    timeline = readable(case_history(cso_rep, in_service))
    reasons = [e.reason for e in timeline if e.what.startswith("Follow-up")]
    label = follow_up.kind.label
    assert reasons == [
        f"Follow-up set: {label}",
        "Reminder sent: the follow-up is due",
        f"Follow-up done: {label}",
    ]


def test_closing_lists_the_open_follow_ups_and_marks_them_done(
    in_service, cso_rep, operator, otp_client
) -> None:
    # given: the victim wrote, so the holder has a follow-up to reply; the CSO resolved
    reply = FollowUp.objects.create(
        case=in_service,
        organisation=operator.organisation,
        kind=FollowUpKind.objects.get(code="reply"),
        due_at=timezone.now() + timedelta(hours=1),
        assignee=operator,
    )
    api_for(cso_rep).post(resolve_url(in_service), {"remark": "Done"}, format="json")
    client = otp_client(operator)
    url = f"/cases/{in_service.number}/close/"

    page = client.get(url).content.decode()
    assert "Open follow-ups (1)" in page
    assert "Closing the case marks them done." in page

    assert client.post(url, {"victim_check": "checked"}).status_code == 302
    reply.refresh_from_db()
    assert reply.done_by == operator
    assert reply.done_at is not None
    reasons = [e.reason for e in readable(case_history(operator, in_service))]
    assert "Follow-up done as the case closed: Reply to the victim's message" in reasons
