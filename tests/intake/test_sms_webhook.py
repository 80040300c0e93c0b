"""/intake/twilio/sms/ and its status callback: signed, stored first, exactly once."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from cases.models import Case, CasePerson, Person, Report
from cases.services import move_case
from intake.models import DeliveryReceipt
from notifications.models import Notification, SmsKeyword
from notifications.services import sms_keyword, sms_opted_out
from tests.twilio import post_signed, sign, sms_params

pytestmark = pytest.mark.django_db

SMS = "/intake/twilio/sms/"


@pytest.fixture(autouse=True)
def helpline_line(helpline):
    helpline.phone_number = "+447700900000"
    helpline.save()
    return helpline


def test_a_first_message_opens_a_case(client: Client, helpline) -> None:
    response = post_signed(
        client,
        SMS,
        sms_params("SM1", body="He is outside. Made-up test text.", NumMedia="1",
                   MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"),
    )  # fmt: skip

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert "<Message>" not in response.content.decode()  # no reply unless configured
    case = Case.objects.get()
    assert (case.helpline, case.channel, case.status) == (helpline, "sms", "new")
    report = case.reports.get()
    assert (report.sender, report.body) == ("+447700900123", "He is outside. Made-up test text.")
    assert report.media == ["https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"]
    assert report.raw["MessageSid"] == ["SM1"]


def test_a_retry_stores_nothing_new(client: Client) -> None:
    for _ in range(3):
        assert post_signed(client, SMS, sms_params("SM-retry")).status_code == 200
    assert (Case.objects.count(), Report.objects.count()) == (1, 1)


def test_a_later_message_joins_the_open_case_and_tells_its_holder(
    client, operator, django_capture_on_commit_callbacks
) -> None:
    post_signed(client, SMS, sms_params("SM1"))
    case = Case.objects.get()
    move_case(case=case, to=Case.Status.IN_TRIAGE, actor=operator, reason="Claimed")

    with django_capture_on_commit_callbacks(execute=True):
        post_signed(client, SMS, sms_params("SM2", sender="07700 900123", body="Still here"))

    assert Case.objects.count() == 1
    assert [r.body for r in case.reports.order_by("received_at", "pk")] == ["Help", "Still here"]
    alert = Notification.objects.get()
    assert (alert.recipient, alert.kind, alert.case_number) == (
        operator,
        "case.message_received",
        case.number,
    )
    assert alert.status == Notification.Status.SENT  # delivered after commit (eager here)
    assert "Still here" not in alert.text
    assert "7700" not in alert.text


def test_a_message_after_the_case_closed_opens_a_new_one(client, operator) -> None:
    post_signed(client, SMS, sms_params("SM1"))
    Case.objects.update(status=Case.Status.CLOSED)  # test set-up, not a move under test
    post_signed(client, SMS, sms_params("SM2"))
    assert Case.objects.count() == 2


def test_signature_is_required_and_checked_against_the_public_url(client: Client) -> None:
    params = sms_params("SM-forged")
    body = urlencode(params)
    form = "application/x-www-form-urlencoded"
    assert client.post(SMS, body, content_type=form).status_code == 403
    assert (
        client.post(SMS, body, content_type=form, HTTP_X_TWILIO_SIGNATURE="bad").status_code == 403
    )
    tampered = urlencode({**params, "Body": "changed"})
    assert (
        client.post(
            SMS, tampered, content_type=form, HTTP_X_TWILIO_SIGNATURE=sign(SMS, params)
        ).status_code
        == 403
    )
    # signed for another path, or with another account's token
    assert client.post(SMS, body, content_type=form,
                       HTTP_X_TWILIO_SIGNATURE=sign("/intake/twilio/voice/", params)).status_code == 403  # fmt: skip
    assert client.post(SMS, body, content_type=form,
                       HTTP_X_TWILIO_SIGNATURE=sign(SMS, params, token="other")).status_code == 403  # fmt: skip
    # a spoofed Host does not change the URL that is checked: the genuine request still passes
    assert post_signed(client, SMS, params, HTTP_HOST="evil.example").status_code in (200, 400)
    assert Case.objects.count() <= 1
    assert not Report.objects.exclude(source_id="SM-forged").exists()


def test_repeated_parameters_are_part_of_the_signature(client: Client) -> None:
    params = [*sms_params("SM-dup").items(), ("Extra", "a"), ("Extra", "b")]
    assert post_signed(client, SMS, params).status_code == 200
    assert Report.objects.get().raw["Extra"] == ["a", "b"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (urlencode(sms_params("SM-big", body="x" * 70_000)), "application/x-www-form-urlencoded"),
        (
            b"MessageSid=SM-bad&From=%2B447700900123&Body=%FF%FE",
            "application/x-www-form-urlencoded",
        ),
        (
            b"MessageSid=SM-bad&From=%2B447700900123&Body=\xff\xfe",
            "application/x-www-form-urlencoded",
        ),
        ('{"MessageSid": "SM-json"}', "application/json"),
    ],
    ids=["oversized", "bad-utf8-escaped", "bad-bytes", "json"],
)
def test_malformed_bodies_are_400_and_store_nothing(client: Client, body, content_type) -> None:
    signature = sign(SMS, sms_params("SM-big", body="x" * 70_000))
    response = client.post(SMS, body, content_type=content_type, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_missing_fields_are_400_and_store_nothing(client: Client) -> None:
    params = sms_params("SM-x")
    del params["MessageSid"]
    assert post_signed(client, SMS, params).status_code == 400
    assert not Report.objects.exists()


def test_nul_characters_are_dropped_not_fatal(client: Client) -> None:
    assert post_signed(client, SMS, sms_params("SM-nul", body="a\x00b")).status_code == 200
    assert Report.objects.get().body == "ab"


def test_the_acknowledgement_goes_only_where_safe_contact_allows(client: Client, settings) -> None:
    settings.SMS_ACK_TEXT = "Thank you. We got your message."
    first = post_signed(client, SMS, sms_params("SM1", body="Hello"))
    # a number we know nothing about: no preferences, so nothing goes back to a phone that may
    # not be theirs alone
    assert "<Message>" not in first.content.decode()
    kept = Notification.objects.get(kind="victim.sms_ack")
    assert kept.status == Notification.Status.SUPPRESSED
    assert "No safe-contact preferences" in kept.reason

    case = Case.objects.get()
    victim = Person.objects.create(
        phone="+447700900123", contact_preferences={"contact": "only_if_i_contact_first"}
    )
    CasePerson.objects.create(case=case, person=victim, role="victim")
    ack = post_signed(client, SMS, sms_params("SM2", body="Are you there?"))
    assert "We got your message" in ack.content.decode()  # they wrote first: a reply may go
    assert (
        post_signed(client, SMS, sms_params("SM2", body="Are you there?"))
        .content.decode()
        .count("<Message>")
        == 0
    )  # a retry of the same message is not answered twice

    reply = post_signed(client, SMS, sms_params("SM3", body=" STOP "))
    assert "<Message>" not in reply.content.decode()
    assert case.reports.count() == 2  # the keyword is not a report
    assert sms_opted_out("+447700900123")

    after_stop = post_signed(client, SMS, sms_params("SM4", body="one more thing"))
    assert "<Message>" not in after_stop.content.decode()  # nothing to a number that said STOP

    post_signed(client, SMS, sms_params("SM5", body="start"))
    assert not sms_opted_out("+447700900123")
    post_signed(client, SMS, sms_params("SM5", body="start"))  # a retry changes nothing
    assert SmsKeyword.objects.count() == 2
    assert list(
        Notification.objects.filter(kind="victim.sms_ack")
        .order_by("pk")
        .values_list("status", flat=True)
    ) == ["suppressed", "sent", "suppressed"]


def test_delivery_status_is_kept_once_per_status(client: Client) -> None:
    status = {"MessageSid": "SM9", "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    for _ in range(2):
        assert post_signed(client, "/intake/twilio/sms/status/", status).status_code == 200
    post_signed(
        client,
        "/intake/twilio/sms/status/",
        {**status, "MessageStatus": "failed", "ErrorCode": "30003"},
    )
    assert list(DeliveryReceipt.objects.order_by("pk").values_list("status", "error_code")) == [
        ("delivered", ""),
        ("failed", "30003"),
    ]


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.text(max_size=2000),
    sender=st.one_of(st.text(max_size=30), st.sampled_from(["+447700900123", "anonymous"])),
    drop=st.sets(st.sampled_from(["MessageSid", "From", "Body", "To"])),
)
def test_odd_input_never_breaks_the_webhook(client: Client, body, sender, drop) -> None:
    sid = "SM" + uuid.uuid4().hex  # examples share the database: each its own message
    params = {k: v for k, v in sms_params(sid, sender=sender, body=body).items() if k not in drop}

    response = post_signed(client, SMS, params)

    assert response.status_code in (200, 400)
    stored = Report.objects.filter(source_id=sid).first()
    if response.status_code == 400:
        assert stored is None
    elif sms_keyword(params.get("Body", "")) is None:
        assert stored is not None
        assert stored.body == params.get("Body", "").replace("\x00", "")


def test_the_case_page_shows_earlier_cases_from_the_same_number(client, operator, otp_client):
    post_signed(client, SMS, sms_params("SM1", sender="+447700900555"))
    first = Case.objects.get()
    Case.objects.update(status=Case.Status.CLOSED)  # test set-up: the first case is over
    post_signed(client, SMS, sms_params("SM2", sender="07700900555"))
    second = Case.objects.exclude(pk=first.pk).get()
    post_signed(client, SMS, sms_params("SM3", sender="+447700900556"))  # someone else

    page = otp_client(operator).get(f"/cases/{second.number}/").content.decode()

    assert "This number contacted us before (1 earlier case)" in page
    assert f'href="/cases/{first.number}/"' in page


@pytest.mark.parametrize(
    "sid",
    ["SM" + "0" * 200, "SM" + "1" * 63, "SM id with spaces", "SM\u00e9", "SM\u0661\u0662"],
)
def test_a_message_id_twilio_would_never_send_is_400_not_500(client: Client, sid: str) -> None:
    response = post_signed(client, "/intake/twilio/sms/", sms_params(sid))

    assert response.status_code == 400
    assert not Report.objects.exists()


def test_a_delivery_report_with_an_overlong_id_is_400(client: Client) -> None:
    status = {"MessageSid": "SM" + "9" * 100, "MessageStatus": "delivered"}
    assert post_signed(client, "/intake/twilio/sms/status/", status).status_code == 400
