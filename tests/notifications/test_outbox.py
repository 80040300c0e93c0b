"""The outbox (DESIGN rules 5-6, SECURITY AV-01, C-7): rows written with the change and delivered
after commit, through the real twilio Client to a stand-in for Twilio's REST API and through
Django's SMTP backend to a real SMTP server, both on loopback. A message sent twice to a victim's
phone can endanger them, so every path counts the sends the provider saw."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.db import connections, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from notifications import outbox, transports
from notifications.models import AlertPreference, Notification
from notifications.services import deliver, message_victim, notify_staff, retry, sweep_outbox
from tests.notifications.conftest import (
    CANARY_NAME,
    CANARY_REPORT,
    HELPLINE_NUMBER,
    TEXT,
    VICTIM_PHONE,
)
from tests.notifications.fakes import SmtpServer, TwilioFake, TwilioRequest
from tests.servers import free_port
from tests.twilio import post_signed, sign, sms_params

pytestmark = pytest.mark.django_db

S = Notification.Status
STATUS = "/intake/twilio/sms/status/"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning: inside any safe hours


def text_victim(
    case: Case, capture: Callable[..., AbstractContextManager[object]], *, execute: bool = True
) -> Notification:
    """A reply to the victim, queued in the change's transaction and handed over on commit."""
    with capture(execute=execute), transaction.atomic():
        row = message_victim(case=case, channel="sms", text=TEXT, kind="case.reply")
    row.refresh_from_db()
    return row


def report(client: Client, row: Notification, status: str, sid: str = "") -> int:
    """Twilio's delivery report for the row, signed, to the address we gave it."""
    params = {
        "MessageSid": sid or row.provider_id,
        "MessageStatus": status,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": HELPLINE_NUMBER,
        "To": VICTIM_PHONE,
    }
    return post_signed(client, f"{STATUS}?key={row.idempotency_key}", params).status_code


def supervisor_alerts(case: Case) -> list[Notification]:
    """The in-app alerts (supervisors also get an email of each by default)."""
    return list(
        Notification.objects.filter(kind="outbox.failed", case_number=case.number, channel="in_app")
    )


# Written with the change, handed over after commit ------------------------------------------------


def test_a_message_is_a_row_of_the_change_and_goes_only_after_commit(
    case, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    # when: queued inside the transaction, before it commits
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        row = message_victim(case=case, channel="sms", text=TEXT, kind="case.reply")

    # then: the row is there, pending, and nothing has gone yet
    assert Notification.objects.get(pk=row.pk).status == S.PENDING
    assert len(callbacks) == 1
    assert twilio.requests == []

    # when: the transaction commits
    callbacks[0]()

    # then
    assert Notification.objects.get(pk=row.pk).status == S.SENT
    assert len(twilio.requests) == 1


def test_a_rolled_back_change_leaves_no_row_and_queues_nothing(
    case, operator, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    # given: an operator who wants every new-case alert by text too
    operator.phone, operator.on_duty = "+447700900222", True
    operator.save()
    AlertPreference.objects.create(user=operator, kind="case.new", sms=True)

    def failing_change() -> None:
        with transaction.atomic():
            message_victim(case=case, channel="sms", text=TEXT, kind="case.reply")
            notify_staff(users=[operator], kind="case.new", case_number=case.number, text="New")
            raise RuntimeError("the change failed after its messages were queued")

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_change()

    # then: no row, nothing queued, nothing sent
    assert Notification.objects.count() == 0
    assert callbacks == []
    assert twilio.requests == []


# SMS through the real twilio Client -----------------------------------------------------------------


def test_a_text_goes_through_the_twilio_client_with_the_rows_key(
    case, twilio: TwilioFake, django_capture_on_commit_callbacks, caplog
) -> None:
    caplog.set_level(logging.INFO)

    row = text_victim(case, django_capture_on_commit_callbacks)

    [sent] = twilio.requests
    assert sent.authorised
    assert (sent.to, sent.from_, sent.body) == (VICTIM_PHONE, HELPLINE_NUMBER, TEXT)
    assert sent.idempotency_key == str(row.idempotency_key)
    assert sent.status_callback == f"{settings.PUBLIC_BASE_URL}{STATUS}?key={row.idempotency_key}"
    assert (row.status, row.attempts, row.provider_id) == (S.SENT, 1, sent.sid)
    assert row.provider_id.startswith("SM")
    assert len(row.provider_id) == 34
    # the client's own request log (and ours) carry neither the number nor the words
    logged = "\n".join(repr(record.__dict__) for record in caplog.records)
    assert "7700900456" not in logged
    assert "appointment" not in logged


def test_server_errors_are_retried_with_growing_waits_until_one_is_accepted(
    case, twilio: TwilioFake, settings, django_capture_on_commit_callbacks
) -> None:
    settings.OUTBOX_RETRY_SECONDS, settings.OUTBOX_MAX_ATTEMPTS = 30, 5
    twilio.fail_next(2, status=500)

    with time_machine.travel(T0, tick=False) as clock:
        # when: the first try meets a 500
        row = text_victim(case, django_capture_on_commit_callbacks)

        # then: it waits 30 s, kept in the row, not in the broker
        assert (row.status, row.attempts, row.last_error) == (
            S.PENDING,
            1,
            "Twilio could not take the message now (HTTP 500, error 20500)",
        )
        assert row.not_before == T0 + timedelta(seconds=30)
        clock.move_to(T0 + timedelta(seconds=29))
        assert sweep_outbox() == 0
        assert len(twilio.requests) == 1

        # when: the sweeper finds it due, and the second try meets a 500 too
        clock.move_to(T0 + timedelta(seconds=30))
        assert sweep_outbox() == 1
        row.refresh_from_db()

        # then: twice as long
        assert (row.status, row.attempts) == (S.PENDING, 2)
        assert row.not_before == T0 + timedelta(seconds=30 + 60)

        # when: the third try is accepted
        clock.move_to(T0 + timedelta(seconds=90))
        sweep_outbox()
        clock.move_to(T0 + timedelta(days=1))
        sweep_outbox()  # and later sweeps find nothing to do

    # then: three requests, one accepted, all saying they are the same message
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.SENT, 3)
    assert [r.answered for r in twilio.requests] == [500, 500, 201]
    assert {r.idempotency_key for r in twilio.requests} == {str(row.idempotency_key)}
    assert row.provider_id == twilio.accepted[0].sid


def test_after_the_last_attempt_a_message_fails_and_supervisors_are_told(
    case, supervisor, twilio: TwilioFake, settings, django_capture_on_commit_callbacks
) -> None:
    settings.OUTBOX_RETRY_SECONDS, settings.OUTBOX_MAX_ATTEMPTS = 30, 3
    twilio.fail_next(10, status=503)

    with time_machine.travel(T0, tick=False) as clock:
        row = text_victim(case, django_capture_on_commit_callbacks)
        for wait in (30, 60, 3600, 86400):
            clock.shift(timedelta(seconds=wait))
            sweep_outbox()

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (
        S.FAILED,
        3,
        "Twilio could not take the message now (HTTP 503, error 20500)",
    )
    assert len(twilio.requests) == 3
    [alert] = supervisor_alerts(case)
    assert alert.recipient == supervisor


def test_a_refused_message_fails_at_once_and_supervisors_are_told(
    case, supervisor, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    twilio.refuse_next(code=21211)

    row = text_victim(case, django_capture_on_commit_callbacks)
    with time_machine.travel(T0 + timedelta(days=1)):
        sweep_outbox()

    assert (row.status, row.attempts) == (S.FAILED, 1)
    assert row.last_error == (
        "Twilio refused the message (HTTP 400, error 21211: not a valid phone number)"
    )
    assert row.reason.startswith("Could not be sent")
    assert len(twilio.requests) == 1
    [alert] = supervisor_alerts(case)
    assert alert.recipient == supervisor
    assert case.number in alert.text
    assert VICTIM_PHONE not in alert.text
    assert CANARY_NAME not in alert.text


def test_a_provider_that_cannot_be_reached_is_tried_again_later(
    case, twilio: TwilioFake, settings, django_capture_on_commit_callbacks
) -> None:
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    with time_machine.travel(T0, tick=False):
        row = text_victim(case, django_capture_on_commit_callbacks)

    # it never reached the provider, so sending again cannot make a second message
    assert (row.status, row.attempts) == (S.PENDING, 1)
    assert row.last_error == "Twilio unreachable: ConnectionError"
    assert row.not_before == T0 + timedelta(seconds=settings.OUTBOX_RETRY_SECONDS)


def test_a_provider_that_takes_the_message_but_never_answers_is_not_sent_again(
    case, supervisor, twilio: TwilioFake, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given: the provider holds the request past the client's timeout (C-7 b)
    monkeypatch.setattr(transports, "TIMEOUT_SECONDS", 0.5)
    twilio.hold()

    # when
    row = text_victim(case, django_capture_on_commit_callbacks)

    # then: the outcome is unknown, so it is left for a report or a person, never re-sent
    assert (row.status, row.attempts) == (S.SENDING, 1)
    assert "the outcome is unknown" in row.last_error
    twilio.release()
    with time_machine.travel(timezone.now() + timedelta(seconds=10)):
        assert sweep_outbox() == 0
    later = timedelta(seconds=settings.OUTBOX_UNKNOWN_AFTER_SECONDS + 1)
    with time_machine.travel(timezone.now() + later):
        sweep_outbox()
    row.refresh_from_db()
    assert row.status == S.FAILED
    assert row.last_error.startswith("The outcome is unknown")
    assert len(twilio.requests) == 1
    assert [a.recipient for a in supervisor_alerts(case)] == [supervisor]


# Delivery reports -----------------------------------------------------------------------------------


def test_delivery_reports_move_a_message_forward_and_never_back(
    case, client: Client, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    row = text_victim(case, django_capture_on_commit_callbacks)

    assert report(client, row, "sent") == 200
    row.refresh_from_db()
    assert row.status == S.SENT
    assert report(client, row, "delivered") == 200
    row.refresh_from_db()
    delivered_at = row.delivered_at
    assert row.status == S.DELIVERED
    assert delivered_at is not None

    # when: a repeated and a late, out-of-order report arrive
    assert report(client, row, "delivered") == 200
    assert report(client, row, "sent") == 200
    assert report(client, row, "queued") == 200

    # then
    row.refresh_from_db()
    assert (row.status, row.delivered_at) == (S.DELIVERED, delivered_at)
    assert len(twilio.requests) == 1


def test_a_late_sent_report_does_not_hide_an_undelivered_message(
    case, client: Client, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    row = text_victim(case, django_capture_on_commit_callbacks)

    assert report(client, row, "undelivered") == 200
    assert report(client, row, "sent") == 200  # Twilio's callbacks can arrive out of order

    row.refresh_from_db()
    assert (row.status, row.last_error) == (S.FAILED, "The provider reported undelivered")


@pytest.mark.django_db(transaction=True)  # the report comes in on another thread's connection
def test_a_delivery_report_that_overtakes_the_api_answer_is_kept(
    case, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    # given: Twilio's "delivered" callback lands before its answer to our request does
    def report_first(request: TwilioRequest) -> None:
        try:
            row = Notification.objects.get()
            assert report(Client(), row, "delivered", sid=request.sid) == 200
        finally:
            connections.close_all()

    twilio.before_answer(report_first)

    # when
    row = text_victim(case, django_capture_on_commit_callbacks)

    # then: our own "sent" did not undo the provider's "delivered"
    assert (row.status, row.provider_id) == (S.DELIVERED, twilio.accepted[0].sid)


def test_a_forged_delivery_report_changes_nothing(
    case, client: Client, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    row = text_victim(case, django_capture_on_commit_callbacks)
    params = {"MessageSid": row.provider_id, "MessageStatus": "failed", "AccountSid": "AC0"}
    path = f"{STATUS}?key={row.idempotency_key}"
    elsewhere = f"{STATUS}?key=00000000-0000-4000-8000-000000000000"

    def post(signature: str) -> int:
        return client.post(
            path,
            data=urlencode(params),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature,
        ).status_code

    # a made-up signature, and a genuine one for another address replayed against this row's key
    assert post("forged") == 403
    assert post(sign(elsewhere, params)) == 403

    row.refresh_from_db()
    assert (row.status, row.last_error) == (S.SENT, "")


# Exactly once ---------------------------------------------------------------------------------------


def test_delivering_a_row_twice_sends_it_once(
    case, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    # given: a committed row whose task is about to run
    with django_capture_on_commit_callbacks(execute=False) as published, transaction.atomic():
        row = message_victim(case=case, channel="sms", text=TEXT, kind="case.reply")

    # when: the task runs, is redelivered, and the original publish arrives late too
    first, second = deliver(notification_id=row.pk), deliver(notification_id=row.pk)
    for publish in published:
        publish()

    # then
    assert (first, second) == (True, False)
    assert len(twilio.requests) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.SENT, 1)


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_one_row_send_it_once(
    require_postgresql, case, twilio: TwilioFake, monkeypatch
) -> None:
    # given: a committed row (its own publish held back)
    with monkeypatch.context() as patch:
        patch.setattr(outbox, "queue_delivery", lambda pk: None)
        with transaction.atomic():
            row = message_victim(case=case, channel="sms", text=TEXT, kind="case.reply")
    start = threading.Barrier(4)
    results: list[bool] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(deliver(notification_id=row.pk))
        finally:
            connections.close_all()

    # when: four workers take it at the same moment
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # then
    assert sorted(results) == [False, False, False, True]
    assert len(twilio.requests) == 1
    assert Notification.objects.get(pk=row.pk).status == S.SENT


def test_a_send_stuck_in_sending_is_failed_as_unknown_and_never_sent_again(
    case, supervisor, client: Client, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    # given: a worker claimed the row and died while the provider had it (test set-up)
    row = text_victim(case, django_capture_on_commit_callbacks, execute=False)
    Notification.objects.filter(pk=row.pk).update(status=S.SENDING, sent_at=T0)

    with time_machine.travel(T0, tick=False) as clock:
        # when: the task is redelivered, and sweeps run before and after the limit
        assert deliver(notification_id=row.pk) is False
        clock.shift(timedelta(seconds=settings.OUTBOX_UNKNOWN_AFTER_SECONDS - 1))
        sweep_outbox()
        assert Notification.objects.get(pk=row.pk).status == S.SENDING
        clock.shift(timedelta(seconds=2))
        sweep_outbox()
        clock.shift(timedelta(days=1))
        sweep_outbox()

    # then: failed for a person to check, and the provider was never asked again
    row.refresh_from_db()
    assert row.status == S.FAILED
    assert row.last_error.startswith("The outcome is unknown")
    assert twilio.requests == []
    assert [a.recipient for a in supervisor_alerts(case)] == [supervisor]

    # when: the provider's report for it (it did have the message) arrives after all
    assert report(client, row, "sent", sid="SM" + "1" * 32) == 200

    # then
    row.refresh_from_db()
    assert (row.status, row.provider_id) == (S.SENT, "SM" + "1" * 32)


def test_a_supervisor_retry_sends_with_the_same_key(
    case, supervisor, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    twilio.refuse_next()
    row = text_victim(case, django_capture_on_commit_callbacks)
    assert row.status == S.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        retry(notification=row, actor=supervisor)

    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.SENT, 2)
    assert row.reason == f"Retried by {supervisor.username}"
    assert [r.answered for r in twilio.requests] == [400, 201]
    assert {r.idempotency_key for r in twilio.requests} == {str(row.idempotency_key)}


# Email ----------------------------------------------------------------------------------------------


def test_a_staff_alert_by_email_carries_the_link_and_nothing_from_the_case(
    client: Client, helpline, operator: User, smtp: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    # given: an operator on duty who wants new-case alerts by email too
    helpline.phone_number = HELPLINE_NUMBER
    helpline.save()
    operator.on_duty = True
    operator.save()
    AlertPreference.objects.create(user=operator, kind="case.new", email=True)

    # when: a text with canaries opens a case
    params = sms_params(
        "SM" + "7" * 32, sender=VICTIM_PHONE, body=f"{CANARY_NAME}: {CANARY_REPORT}"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post_signed(client, "/intake/twilio/sms/", params).status_code == 200

    # then: one email, through the SMTP server, with the link to the case and nothing from it
    case = Case.objects.get()
    [message] = smtp.messages
    assert smtp.envelopes == [(parseaddr(settings.DEFAULT_FROM_EMAIL)[1], [operator.email])]
    assert message["To"] == operator.email
    assert message["Subject"] == "Lantern: A new report reaches the queue (while on duty)"
    body = message.get_content()
    assert f"{settings.PUBLIC_BASE_URL}/cases/{case.number}/" in body
    raw = smtp.raw[0].decode()
    for canary in (CANARY_NAME, "CANARY-a91f", "bakery", "7700900456"):
        assert canary not in raw
    email_row = Notification.objects.get(channel="email")
    assert (email_row.status, email_row.attempts) == (S.SENT, 1)


def test_a_mail_server_that_is_down_is_tried_again_later(
    case, operator: User, settings, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    AlertPreference.objects.create(user=operator, kind="case.new", email=True, only_on_duty=False)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify_staff(users=[operator], kind="case.new", case_number=case.number, text="New")

    row = Notification.objects.get(channel="email")
    assert (row.status, row.attempts) == (S.PENDING, 1)
    assert row.last_error == "Mail server: ConnectionRefusedError"


# No provider configured -------------------------------------------------------------------------------


def test_without_twilio_credentials_a_text_is_only_recorded_and_logged_by_id(
    case, settings, caplog, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    settings.TWILIO_ACCOUNT_SID = ""
    caplog.set_level(logging.INFO, logger="notifications")

    row = text_victim(case, django_capture_on_commit_callbacks)

    assert (row.status, row.provider_id) == (S.SENT, "")
    assert twilio.requests == []
    [line] = [r for r in caplog.records if r.getMessage() == "sms_outbox_only"]
    assert line.notification_id == row.pk  # type: ignore[attr-defined]
    logged = "\n".join(repr(record.__dict__) for record in caplog.records)
    for secret in ("7700900456", "appointment", CANARY_NAME, CANARY_REPORT):
        assert secret not in logged
