"""A text to a number no helpline claims, with two helplines and no INTAKE_DEFAULT_HELPLINE: kept
in the unrouted queue (never a 500, never lost), seen by helpline supervisors only as a time and
a number, and taken by one of them into their own helpline."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case, Report
from intake.models import UnroutedMessage
from tests.factories import StaffFactory
from tests.twilio import post_signed, sms_params

pytestmark = pytest.mark.django_db

SMS = "/intake/twilio/sms/"
BODY = "Made-up message to an unclaimed number"
SENDER = "+447700900456"


@pytest.fixture(autouse=True)
def two_helplines_no_default(helpline, other_helpline, settings):
    settings.INTAKE_DEFAULT_HELPLINE = ""
    helpline.phone_number = "+447700900000"
    helpline.save()
    other_helpline.phone_number = "+447700900001"
    other_helpline.save()


def unclaimed(sid: str = "SMunrouted1") -> dict[str, str]:
    return sms_params(sid, sender=SENDER, body=BODY, To="+447700900999")


def test_a_text_to_an_unclaimed_number_is_kept_not_refused(client: Client) -> None:
    for _ in range(2):  # Twilio's retry changes nothing
        response = post_signed(client, SMS, unclaimed())
        assert response.status_code == 200
        assert "<Message" not in response.content.decode()  # nothing said to the sender

    kept = UnroutedMessage.objects.get()
    assert (kept.message_sid, kept.to_number, kept.body, kept.sender) == (
        "SMunrouted1",
        "+447700900999",
        BODY,
        SENDER,
    )
    assert not Case.objects.exists()


def test_texts_to_claimed_numbers_still_go_straight_to_their_helpline(client, other_helpline):
    post_signed(client, SMS, sms_params("SMrouted", To="+447700900001"))
    assert Case.objects.get().helpline == other_helpline
    assert not UnroutedMessage.objects.exists()


def test_supervisors_see_when_and_where_but_not_who_or_what(
    client, supervisor, operator, monitor, cso_rep, admin_user, otp_client
) -> None:
    post_signed(client, SMS, unclaimed())

    page = otp_client(supervisor).get("/intake/unrouted/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "+447700900999" in html
    assert BODY not in html
    assert SENDER not in html
    assert "Unrouted texts" in otp_client(supervisor).get("/cases/").content.decode()

    for user in (operator, monitor, cso_rep, admin_user):
        assert otp_client(user).get("/intake/unrouted/").status_code == 404
        message = UnroutedMessage.objects.get()
        assert otp_client(user).post(f"/intake/unrouted/{message.pk}/take/").status_code == 404
    assert UnroutedMessage.objects.get().case is None


def test_a_supervisor_takes_a_text_into_their_helpline(
    client, supervisor, helpline, other_helpline, otp_client
) -> None:
    post_signed(client, SMS, unclaimed())
    message = UnroutedMessage.objects.get()

    response = otp_client(supervisor).post(f"/intake/unrouted/{message.pk}/take/")

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.number}/"
    assert (case.helpline, case.channel) == (helpline, "sms")
    report = Report.objects.get()
    assert (report.source_id, report.body, report.sender) == ("SMunrouted1", BODY, SENDER)
    message.refresh_from_db()
    assert (message.case, message.taken_by) == (case, supervisor)
    assert message.taken_at is not None
    # gone from the queue, and a late retry from Twilio stores nothing new
    assert "+447700900999" not in otp_client(supervisor).get("/intake/unrouted/").content.decode()
    assert post_signed(client, SMS, unclaimed()).status_code == 200
    assert Report.objects.count() == 1

    # a supervisor of the other helpline, a moment too late, is told so and learns nothing more
    late = StaffFactory(organisation=other_helpline, role="supervisor")
    answer = otp_client(late).post(f"/intake/unrouted/{message.pk}/take/", follow=True)
    assert "Someone else took that message already" in answer.content.decode()
    assert case.number not in answer.content.decode()
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/intake/twilio/voice/", {"CallSid": "CAunrouted", "From": SENDER}),
        ("/intake/twilio/voice/status/", {"CallSid": "CAunrouted", "CallStatus": "no-answer"}),
        ("/intake/twilio/voice/transcription/", {"CallSid": "CAunrouted"}),
    ],
)
def test_a_call_to_an_unclaimed_number_is_503_for_the_fallback_never_500(
    client, path, params
) -> None:
    response = post_signed(client, path, {**params, "To": "+447700900999"})
    assert response.status_code == 503
