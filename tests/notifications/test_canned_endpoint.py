"""GET /cases/<number>/replies/ (notifications:canned-replies): the canned replies for whoever may
write to the case's victim, as JSON; 404 for a case they cannot see, 403 for one they see but may
not write on; the query filters and never reaches the log."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from cases.models import Case
from notifications.models import CannedReply
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(helpline) -> Case:
    case = CaseFactory(helpline=helpline)
    CasePersonFactory(case=case, person=PersonFactory(contact_preferences={"contact": "allowed"}))
    CannedReply.objects.create(
        shortcut="welcome", title="Welcome", text="Hi, I'm {operator_first_name} ({case_ref})."
    )
    CannedReply.objects.create(shortcut="hours", title="Opening hours", text="We answer 9 to 5.")
    return case


def _url(case: Case) -> str:
    url = reverse("notifications:canned-replies", args=[case.number])
    assert url == f"/cases/{case.number}/replies/"
    return url


def test_an_operator_gets_the_replies_filled_in_json(case, operator, otp_client) -> None:
    operator.first_name = "Amina"
    operator.save()

    response = otp_client(operator).get(_url(case))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert response.json() == {
        "replies": [
            {"shortcut": "hours", "title": "Opening hours", "text": "We answer 9 to 5."},
            {
                "shortcut": "welcome",
                "title": "Welcome",
                "text": f"Hi, I'm Amina ({case.number}).",
            },
        ]
    }


def test_the_query_filters(case, operator, otp_client) -> None:
    response = otp_client(operator).get(_url(case), {"q": "wel"})

    assert [reply["shortcut"] for reply in response.json()["replies"]] == ["welcome"]


def test_another_helplines_operator_gets_404(case, other_operator, otp_client) -> None:
    assert otp_client(other_operator).get(_url(case)).status_code == 404


def test_an_unknown_case_is_404(operator, otp_client) -> None:
    assert otp_client(operator).get("/cases/LNT-2020-999999/replies/").status_code == 404


def test_a_monitor_cannot_have_them(case, monitor, otp_client) -> None:
    # a monitor may read cases (the policy's), never write on one: refused, not hidden
    assert otp_client(monitor).get(_url(case)).status_code == 403


def test_a_cso_serving_the_case_may_write_to_the_victim_and_has_them(
    case, cso, cso_rep, otp_client
) -> None:
    client = otp_client(cso_rep)
    assert client.get(_url(case)).status_code == 404  # not referred to them: invisible
    ReferralFactory(case=case, organisation=cso, status="pending")
    # referred but not accepted: they may see it, not write on it
    assert client.get(_url(case)).status_code == 403
    case.referrals.update(status="accepted")
    assert client.get(_url(case)).status_code == 200


def test_a_closed_case_is_read_only(case, operator, otp_client) -> None:
    Case.objects.filter(pk=case.pk).update(status=Case.Status.ARCHIVED)

    assert otp_client(operator).get(_url(case)).status_code == 403


def test_only_get(case, operator, otp_client) -> None:
    assert otp_client(operator).post(_url(case), {"q": "wel"}).status_code == 405


def test_a_second_factor_is_needed(case, operator, password_only_client) -> None:
    response = password_only_client(operator).get(_url(case))
    assert response.status_code == 302


def test_the_query_is_not_logged(case, operator, otp_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    response = otp_client(operator).get(_url(case), {"q": "welcomeZq7"})
    assert response.status_code == 200
    assert "request_finished" in caplog.text  # the access line was captured: not a blind check
    assert "welcomeZq7" not in caplog.text
