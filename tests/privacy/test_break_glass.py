"""Breaking the glass on a sealed case (SECURITY AC-06): step-up first, a reason or a 400, then
access with an access-log row and an alert to the reviewers, until it expires."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from cases import sealing
from cases.models import AccessLog, BreakGlass, Case
from notifications.models import Notification
from tests.factories import CaseFactory, StaffFactory

pytestmark = pytest.mark.django_db

REASON = "Caller rang back about this case; made-up reason"


@pytest.fixture
def sealed(helpline, supervisor, operator) -> Case:
    case = CaseFactory(helpline=helpline)
    return sealing.seal(case=case, named_users=[operator], by=supervisor, reason="Staff member")


@pytest.fixture
def colleague(helpline) -> User:
    return StaffFactory(username="colleague", organisation=helpline, role=User.Role.OPERATOR)


def test_step_up_comes_first(sealed, colleague, otp_client) -> None:
    answer = otp_client(colleague).get(f"/cases/{sealed.number}/break-glass/")
    assert answer.status_code == 302
    assert answer["Location"] == (
        f"/accounts/step-up/?next=%2Fcases%2F{sealed.number}%2Fbreak-glass%2F"
    )
    posted = otp_client(colleague).post(f"/cases/{sealed.number}/break-glass/", {"reason": REASON})
    assert posted.status_code == 302
    assert posted["Location"].startswith("/accounts/step-up/")
    assert not BreakGlass.objects.exists()


def test_without_a_reason_it_is_a_400_tied_to_the_field(
    sealed, colleague, stepped_up_client
) -> None:
    client = stepped_up_client(colleague)
    page = client.get(f"/cases/{sealed.number}/break-glass/")
    assert page.status_code == 200
    assert "This case is sealed" in page.content.decode()

    answer = client.post(f"/cases/{sealed.number}/break-glass/", {"reason": "  "})

    assert answer.status_code == 400
    html = answer.content.decode()
    assert 'aria-describedby="id_reason_error"' in html
    assert "Say why you need to open this case." in html
    assert not BreakGlass.objects.exists()
    assert client.get(f"/cases/{sealed.number}/").status_code == 404


def test_with_a_reason_access_audit_alert_and_expiry(
    sealed, colleague, supervisor, dpo, stepped_up_client, settings
) -> None:
    settings.BREAK_GLASS_MINUTES = 10
    client = stepped_up_client(colleague)

    answer = client.post(f"/cases/{sealed.number}/break-glass/", {"reason": REASON})

    assert answer.status_code == 302
    assert answer["Location"] == f"/cases/{sealed.number}/"
    page = client.get(f"/cases/{sealed.number}/")
    assert page.status_code == 200
    assert "You opened this sealed case by break-glass" in page.content.decode()
    grant = BreakGlass.objects.get()
    assert (grant.user, grant.case, grant.reason) == (colleague, sealed, REASON)
    assert grant.outcome == BreakGlass.Outcome.PENDING
    assert grant.expires_at == grant.at + timedelta(minutes=10)
    assert AccessLog.objects.filter(
        user=colleague, case=sealed, action=AccessLog.Action.BREAK_GLASS, detail=f"grant {grant.pk}"
    ).exists()
    alerts = Notification.objects.filter(kind="case.break_glass")
    assert {n.recipient for n in alerts} == {supervisor, dpo}
    assert all(sealed.number in n.text and REASON not in n.text for n in alerts)
    # a page they already read goes straight to the case
    assert client.get(f"/cases/{sealed.number}/break-glass/")["Location"] == (
        f"/cases/{sealed.number}/"
    )

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert client.get(f"/cases/{sealed.number}/").status_code == 404


@pytest.mark.parametrize("who", ["other_operator", "other_supervisor", "admin_user"])
def test_anyone_whose_role_does_not_reach_it_gets_404(
    who, sealed, request, stepped_up_client, other_helpline
) -> None:
    user = (
        request.getfixturevalue(who)
        if who != "other_supervisor"
        else StaffFactory(organisation=other_helpline, role=User.Role.SUPERVISOR)
    )
    client = stepped_up_client(user)
    assert client.get(f"/cases/{sealed.number}/break-glass/").status_code == 404
    assert (
        client.post(f"/cases/{sealed.number}/break-glass/", {"reason": REASON}).status_code == 404
    )
    assert not BreakGlass.objects.exists()


def test_an_unknown_or_unsealed_number_is_the_same_404(
    helpline, colleague, stepped_up_client
) -> None:
    open_case = CaseFactory(helpline=helpline)
    client = stepped_up_client(colleague)
    assert client.get("/cases/LNT-2026-999999/break-glass/").status_code == 404
    # a case they read anyway goes to its page
    assert client.get(f"/cases/{open_case.number}/break-glass/").status_code == 302


def test_opening_a_sealed_case_by_its_number(sealed, colleague, stepped_up_client) -> None:
    client = stepped_up_client(colleague)
    assert client.get("/privacy/break-glass/open/").status_code == 200
    assert client.post("/privacy/break-glass/open/", {"number": ""}).status_code == 400
    answer = client.post("/privacy/break-glass/open/", {"number": sealed.number.lower()})
    assert answer["Location"] == f"/cases/{sealed.number}/break-glass/"
