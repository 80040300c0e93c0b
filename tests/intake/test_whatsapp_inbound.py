"""WhatsApp messages on the messaging webhook (/intake/twilio/sms/): Twilio posts them like texts,
signed the same way, from and to `whatsapp:` addresses. Each is a report of the WhatsApp channel;
routing, retries, STOP/START and unrouted messages behave as for a text."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client

from cases.models import Case, CasePerson, Person, Report
from intake.models import UnroutedMessage
from notifications.models import Notification, SmsKeyword
from notifications.services import sms_opted_out
from tests.twilio import post_signed, sign, sms_params

pytestmark = pytest.mark.django_db

SMS = "/intake/twilio/sms/"
VICTIM = "+447700900321"
MEDIA = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM7/Media/ME7"


def whatsapp(sid: str, body: str = "Made-up WhatsApp message", **more: str) -> dict[str, str]:
    return sms_params(
        sid, sender=f"whatsapp:{VICTIM}", body=body, To="whatsapp:+447700900000", **more
    )


@pytest.fixture(autouse=True)
def helpline_line(helpline, other_helpline):
    helpline.phone_number = "+447700900000"
    helpline.save()
    other_helpline.phone_number = "+447700900001"
    other_helpline.save()
    return helpline


def test_a_whatsapp_message_opens_a_whatsapp_case_with_the_plain_number(client, helpline) -> None:
    response = post_signed(client, SMS, whatsapp("SMwa1"))

    assert response.status_code == 200
    assert "<Message>" not in response.content.decode()
    case = Case.objects.get()
    assert (case.helpline, case.channel) == (helpline, "whatsapp")
    report = case.reports.get()
    assert (report.channel, report.sender, report.body) == (
        "whatsapp",
        VICTIM,  # the `whatsapp:` prefix is not part of the number
        "Made-up WhatsApp message",
    )


def test_a_second_message_joins_the_open_case(client) -> None:
    post_signed(client, SMS, whatsapp("SMwa1"))
    post_signed(client, SMS, whatsapp("SMwa2", body="Still here, made up"))

    case = Case.objects.get()
    assert [r.body for r in case.reports.order_by("received_at", "pk")] == [
        "Made-up WhatsApp message",
        "Still here, made up",
    ]
    assert set(case.reports.values_list("channel", flat=True)) == {"whatsapp"}


def test_routing_reads_the_number_behind_the_prefix(client, other_helpline) -> None:
    post_signed(client, SMS, {**whatsapp("SMwa-south"), "To": "whatsapp:+447700900001"})
    assert Case.objects.get().helpline == other_helpline


def test_a_retry_is_a_no_op(client) -> None:
    for _ in range(3):
        assert post_signed(client, SMS, whatsapp("SMwa-retry")).status_code == 200
    assert (Case.objects.count(), Report.objects.count()) == (1, 1)


def test_media_is_kept_with_the_report(client) -> None:
    post_signed(client, SMS, whatsapp("SMwa-media", body="", NumMedia="1", MediaUrl0=MEDIA))
    report = Report.objects.get()
    assert (report.channel, report.media) == ("whatsapp", [MEDIA])


def test_stop_and_start_from_whatsapp_are_kept_and_open_nothing(client) -> None:
    post_signed(client, SMS, whatsapp("SMwa-stop", body="STOP"))
    assert sms_opted_out(VICTIM)
    assert not Case.objects.exists()  # a keyword is not a report

    post_signed(client, SMS, whatsapp("SMwa-start", body="Start"))
    assert not sms_opted_out(VICTIM)
    post_signed(client, SMS, whatsapp("SMwa-start", body="Start"))  # a retry changes nothing
    assert SmsKeyword.objects.count() == 2
    assert not Case.objects.exists()


def test_unsigned_or_forged_is_403_and_stores_nothing(client: Client) -> None:
    params = whatsapp("SMwa-forged")
    body = urlencode(params)
    form = "application/x-www-form-urlencoded"
    assert client.post(SMS, body, content_type=form).status_code == 403
    # signed for the plain number: the `whatsapp:` prefix is part of what Twilio signs
    plain = {**params, "From": VICTIM}
    assert (
        client.post(SMS, body, content_type=form, HTTP_X_TWILIO_SIGNATURE=sign(SMS, plain))
    ).status_code == 403
    assert not Report.objects.exists()
    assert not Case.objects.exists()


def test_an_unrouted_whatsapp_message_taken_by_a_supervisor_stays_whatsapp(
    client, supervisor, helpline, otp_client, settings
) -> None:
    settings.INTAKE_DEFAULT_HELPLINE = ""
    post_signed(client, SMS, {**whatsapp("SMwa-lost"), "To": "whatsapp:+447700900999"})
    message = UnroutedMessage.objects.get()
    assert (message.to_number, message.sender) == ("+447700900999", VICTIM)

    response = otp_client(supervisor).post(f"/intake/unrouted/{message.pk}/take/")

    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.helpline, case.channel) == (helpline, "whatsapp")
    assert Report.objects.get().channel == "whatsapp"


def test_the_acknowledgement_is_decided_as_whatsapp(client, settings) -> None:
    """Twilio's answer to a WhatsApp message goes back by WhatsApp: safe contact asks about that
    way, and the kept row says so."""
    settings.SMS_ACK_TEXT = "Thank you. We got your message."
    post_signed(client, SMS, whatsapp("SMwa-ack1"))
    case = Case.objects.get()
    victim = Person.objects.create(
        phone=VICTIM, contact_preferences={"contact": "allowed", "channels": ["sms"]}
    )
    CasePerson.objects.create(case=case, person=victim, role="victim")

    refused = post_signed(client, SMS, whatsapp("SMwa-ack2", body="Are you there?"))
    assert "<Message>" not in refused.content.decode()  # texts are safe, WhatsApp not named

    victim.contact_preferences = {"contact": "only_if_i_contact_first"}
    victim.save()
    answered = post_signed(client, SMS, whatsapp("SMwa-ack3", body="Hello again"))
    assert "We got your message" in answered.content.decode()  # they just wrote by WhatsApp

    rows = Notification.objects.filter(kind="victim.sms_ack").order_by("pk")
    assert [(r.channel, r.status) for r in rows] == [
        ("whatsapp", "suppressed"),
        ("whatsapp", "suppressed"),
        ("whatsapp", "sent"),
    ]
    assert rows[1].reason == "The victim did not say WhatsApp is safe."
