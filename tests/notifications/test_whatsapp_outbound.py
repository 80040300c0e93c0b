"""Replies to a WhatsApp case's victim: written on the case page, decided by safe contact as a way
of its own, sent by the real twilio Client to a stand-in for Twilio's REST API on loopback between
`whatsapp:` addresses, and settled by signed delivery reports like texts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from cases.models import Case
from cases.workflow import ConflictError
from notifications.models import Notification
from notifications.services import Override, message_victim
from tests.factories import ReportFactory
from tests.notifications.conftest import HELPLINE_NUMBER, VICTIM_EMAIL, VICTIM_PHONE
from tests.notifications.fakes import TwilioFake
from tests.twilio import post_signed, sms_params

pytestmark = pytest.mark.django_db

S = Notification.Status
STATUS = "/intake/twilio/sms/status/"
# Made-up numbers: the victim's WhatsApp differs from the phone on her record, on purpose.
VICTIM_WHATSAPP = "+447700900789"
WHATSAPP_SENDER = "+447700900111"
REPLY = "We can talk this afternoon. Made-up test text."


@pytest.fixture
def wa_case(case: Case) -> Case:
    """The outbox's case, its victim naming WhatsApp as safe, who wrote by WhatsApp an hour ago."""
    victim = case.people.get(role="victim").person
    victim.contact_preferences = {
        **victim.contact_preferences,
        "channels": ["sms", "whatsapp", "email"],
    }
    victim.save()
    wrote(case, hours_ago=1)
    return case


def wrote(case: Case, *, hours_ago: float) -> None:
    ReportFactory(
        case=case,
        channel="whatsapp",
        sender=VICTIM_WHATSAPP,
        body="Made-up WhatsApp message",
        received_at=timezone.now() - timedelta(hours=hours_ago),
    )


def send(client: Client, case: Case, capture, **data) -> Notification:
    form = {"channel": "whatsapp", "text": REPLY, "confirm": "on", **data}
    with capture(execute=True):
        response = client.post(f"/cases/{case.number}/messages/", form)
    assert response.status_code == 302, response.content.decode()[:500]
    return Notification.objects.get(case=case, kind="victim.reply")


def test_a_reply_goes_between_whatsapp_addresses_and_reports_settle_it(
    settings,
    wa_case,
    operator,
    otp_client,
    twilio: TwilioFake,
    client,
    django_capture_on_commit_callbacks,
) -> None:
    settings.TWILIO_WHATSAPP_FROM = WHATSAPP_SENDER

    row = send(otp_client(operator), wa_case, django_capture_on_commit_callbacks)

    [sent] = twilio.requests
    assert sent.authorised
    assert (sent.to, sent.from_, sent.body) == (
        f"whatsapp:{VICTIM_WHATSAPP}",
        f"whatsapp:{WHATSAPP_SENDER}",
        REPLY,
    )
    assert sent.status_callback == f"{settings.PUBLIC_BASE_URL}{STATUS}?key={row.idempotency_key}"
    assert (row.channel, row.destination, row.status, row.provider_id) == (
        "whatsapp",
        VICTIM_WHATSAPP,  # the row keeps plain E.164
        S.SENT,
        sent.sid,
    )
    report = {"MessageSid": sent.sid, "MessageStatus": "delivered",
              "AccountSid": settings.TWILIO_ACCOUNT_SID, "From": f"whatsapp:{WHATSAPP_SENDER}",
              "To": f"whatsapp:{VICTIM_WHATSAPP}"}  # fmt: skip
    assert post_signed(client, f"{STATUS}?key={row.idempotency_key}", report).status_code == 200
    row.refresh_from_db()
    assert row.status == S.DELIVERED


def test_twilio_without_a_whatsapp_sender_fails_the_row_and_calls_nobody(
    settings, wa_case, operator, otp_client, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    settings.TWILIO_WHATSAPP_FROM = ""

    row = send(otp_client(operator), wa_case, django_capture_on_commit_callbacks)

    assert twilio.requests == []
    assert row.status == S.FAILED
    assert "TWILIO_WHATSAPP_FROM" in row.last_error
    assert VICTIM_WHATSAPP not in row.last_error


def test_embedded_without_twilio_the_row_is_the_record(
    settings, wa_case, operator, otp_client, django_capture_on_commit_callbacks
) -> None:
    settings.TWILIO_FROM_NUMBER = settings.TWILIO_WHATSAPP_FROM = ""

    row = send(otp_client(operator), wa_case, django_capture_on_commit_callbacks)

    assert (row.channel, row.status, row.provider_id) == ("whatsapp", S.SENT, "")


def test_outside_the_24_hour_window_nothing_goes_and_no_one_can_override(
    settings, case, supervisor, otp_client, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    settings.TWILIO_WHATSAPP_FROM = WHATSAPP_SENDER
    victim = case.people.get(role="victim").person
    victim.contact_preferences = {**victim.contact_preferences, "channels": ["whatsapp"]}
    victim.save()
    wrote(case, hours_ago=25)
    html = otp_client(supervisor).get(f"/cases/{case.number}/").content.decode()
    assert "<strong>WhatsApp:</strong> Not allowed: WhatsApp allows a message only within" in html

    row = send(otp_client(supervisor), case, django_capture_on_commit_callbacks)

    assert (row.status, row.destination) == (S.SUPPRESSED, VICTIM_WHATSAPP)
    assert "24 hours" in row.reason
    with pytest.raises(ConflictError), transaction.atomic():
        message_victim(case=case, channel="whatsapp", text=REPLY, kind="victim.reply",
                       override=Override(by=supervisor, reason="Urgent, made up"))  # fmt: skip
    assert twilio.requests == []


def test_a_stop_sent_by_whatsapp_stops_whatsapp_until_start(
    settings,
    wa_case,
    operator,
    otp_client,
    client,
    twilio: TwilioFake,
    django_capture_on_commit_callbacks,
) -> None:
    settings.TWILIO_WHATSAPP_FROM = WHATSAPP_SENDER
    stop = sms_params("SMwa-stop", sender=f"whatsapp:{VICTIM_WHATSAPP}", body="STOP",
                      To=f"whatsapp:{HELPLINE_NUMBER}")  # fmt: skip
    assert post_signed(client, "/intake/twilio/sms/", stop).status_code == 200

    row = send(otp_client(operator), wa_case, django_capture_on_commit_callbacks)

    assert (row.status, "STOP" in row.reason) == (S.SUPPRESSED, True)
    assert twilio.requests == []

    start = {**stop, "MessageSid": "SMwa-start", "Body": "START"}
    assert post_signed(client, "/intake/twilio/sms/", start).status_code == 200
    row.delete()
    again = send(otp_client(operator), wa_case, django_capture_on_commit_callbacks)
    assert again.status == S.SENT
    assert [r.to for r in twilio.requests] == [f"whatsapp:{VICTIM_WHATSAPP}"]


def test_not_a_safe_way_when_the_victim_did_not_name_it(
    settings, case, operator, otp_client, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    wrote(case, hours_ago=1)  # they wrote by WhatsApp, but named only texts and email as safe

    row = send(otp_client(operator), case, django_capture_on_commit_callbacks)

    assert (row.status, row.reason) == (S.SUPPRESSED, "The victim did not say WhatsApp is safe.")
    assert twilio.requests == []


def test_only_if_they_contact_first_allows_a_whatsapp_reply_to_their_whatsapp_message(
    settings, case, operator, otp_client, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    settings.TWILIO_WHATSAPP_FROM = WHATSAPP_SENDER
    victim = case.people.get(role="victim").person
    victim.contact_preferences = {"contact": "only_if_i_contact_first", "email": VICTIM_EMAIL}
    victim.save()
    wrote(case, hours_ago=2)
    html = otp_client(operator).get(f"/cases/{case.number}/").content.decode()
    assert "<strong>WhatsApp:</strong> WhatsApp is allowed now, until " in html
    assert "(WhatsApp&#x27;s window after their message)" in html
    assert "<strong>Email:</strong> Not allowed: Only if the victim contacts us first" in html

    row = send(otp_client(operator), case, django_capture_on_commit_callbacks)

    assert row.status == S.SENT
    assert [r.to for r in twilio.requests] == [f"whatsapp:{VICTIM_WHATSAPP}"]


def test_the_case_page_offers_whatsapp_only_where_it_could_go(case, operator, otp_client) -> None:
    client = otp_client(operator)
    html = client.get(f"/cases/{case.number}/").content.decode()
    assert "<strong>WhatsApp:</strong>" not in html  # never wrote by WhatsApp, nor named it

    wrote(case, hours_ago=1)
    html = client.get(f"/cases/{case.number}/").content.decode()
    assert (
        "<strong>WhatsApp:</strong> Not allowed: The victim did not say WhatsApp is safe." in html
    )
    assert 'value="whatsapp"' in html  # the message form's way


def test_the_victims_text_number_is_not_used_for_whatsapp(
    settings, case, operator, otp_client, django_capture_on_commit_callbacks
) -> None:
    victim = case.people.get(role="victim").person
    victim.contact_preferences = {**victim.contact_preferences, "channels": ["whatsapp"]}
    victim.save()  # named WhatsApp, but never wrote by it: no WhatsApp address, no window

    row = send(otp_client(operator), case, django_capture_on_commit_callbacks)

    assert (row.status, row.destination) == (S.SUPPRESSED, "")
    assert "No WhatsApp number" in row.reason
    assert VICTIM_PHONE not in row.reason
