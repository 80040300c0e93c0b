"""Webhooks to a partner's crime system, checked by a loopback receiver (a real HTTP server in a
thread) that verifies each signature with the partner's secret: a victim's message on a case the
partner knows is delivered once, signed, without the message; passing failures are retried with
growing waits; a refusal is given up at once and the helpline's supervisors are told once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from cases.models import Case
from cases.services import IncomingReport, receive_message
from feeds import webhooks
from feeds.models import DeliveryAttempt, PartnerDelivery, PartnerEventType
from feeds.partners import IncomingEvent, receive_event, rotate_secret
from notifications.models import Notification
from tests.feeds.partner_helpers import (
    CANARY,
    CRIME_REFERENCE,
    VICTIM_PHONE,
    LoopbackReceiver,
    case_with_victim,
    give_crime_number,
    loopback_receiver,
    make_partner,
)

pytestmark = pytest.mark.django_db
S = PartnerDelivery.Status
FIRST_DELAY = 30


@pytest.fixture
def receiver(settings) -> Iterator[LoopbackReceiver]:
    # http to loopback is allowed only while DEBUG is on (feeds.partners.check_url)
    settings.DEBUG = True
    settings.PARTNER_WEBHOOK_FIRST_DELAY = FIRST_DELAY
    settings.PARTNER_WEBHOOK_MAX_ATTEMPTS = 4
    settings.PARTNER_WEBHOOK_TIMEOUT = 5
    with loopback_receiver() as server:
        yield server


@pytest.fixture
def partner(helpline, receiver):
    return make_partner(helpline, url=receiver.url)


@pytest.fixture
def known_case(helpline, supervisor, partner) -> Case:
    """A case the partner knows: one of its events is on it."""
    case = case_with_victim(helpline)
    give_crime_number(case, supervisor)
    receive_event(
        partner=partner,
        event=IncomingEvent(
            event_id="evt-known",
            type=PartnerEventType.objects.get(code="suspect_charged"),
            occurred_at=timezone.now(),
            crime_reference=CRIME_REFERENCE,
        ),
    )
    assert case.partner_events.filter(outcome="applied").exists()
    return case


def victim_writes(case: Case, sid: str = "SM-victim-1") -> None:
    receive_message(
        helpline=case.helpline,
        report=IncomingReport(channel="sms", source_id=sid, sender=VICTIM_PHONE, body=CANARY),
    )


def test_a_victims_message_is_delivered_once_signed_and_without_their_words(
    receiver, partner, known_case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        victim_writes(known_case)

    [request] = receiver.received
    assert request.signed
    assert request.path == "/lantern/webhooks/"
    assert request.headers["X-Lantern-Partner"] == "city-police"
    body = request.json
    assert set(body) == {"event_id", "type", "case", "crime_reference", "occurred_at", "data"}
    assert body["type"] == "victim.message"
    assert body["case"] == known_case.number
    assert body["crime_reference"] == CRIME_REFERENCE
    assert "CANARY" not in request.body.decode()
    assert VICTIM_PHONE not in request.body.decode()
    delivery = PartnerDelivery.objects.get()
    assert body["event_id"] == str(delivery.event_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (S.SENT, 1, 200)
    [attempt] = delivery.tries.all()
    assert (attempt.status_code, attempt.error) == (200, "")

    webhooks.sweep()  # nothing is due: never sent twice
    assert webhooks.deliver(delivery.pk) is False
    assert len(receiver.received) == 1


def test_a_case_no_partner_knows_sends_nothing(
    receiver, partner, helpline, django_capture_on_commit_callbacks
):
    case = case_with_victim(helpline)
    with django_capture_on_commit_callbacks(execute=True):
        victim_writes(case)
    assert not PartnerDelivery.objects.exists()
    assert receiver.received == []


def test_messages_while_one_task_waits_add_no_second(receiver, partner, known_case):
    # without running the commit hooks the first webhook stays pending
    victim_writes(known_case, "SM-1")
    victim_writes(known_case, "SM-2")
    assert PartnerDelivery.objects.filter(status=S.PENDING).count() == 1


def test_the_signature_uses_the_current_secret_after_a_rotation(
    receiver, partner, known_case, django_capture_on_commit_callbacks
):
    receiver.secret = rotate_secret(partner=partner)
    with django_capture_on_commit_callbacks(execute=True):
        victim_writes(known_case)
    assert [r.signed for r in receiver.received] == [True]


def test_a_500_is_retried_after_a_growing_wait(
    receiver, partner, known_case, django_capture_on_commit_callbacks
):
    receiver.answers = [500, 503, 200]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            victim_writes(known_case)
        delivery = PartnerDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == (S.PENDING, 1)
        assert delivery.next_attempt_at == timezone.now() + timedelta(seconds=FIRST_DELAY)

        traveller.shift(timedelta(seconds=FIRST_DELAY - 1))
        webhooks.sweep()
        assert len(receiver.received) == 1  # not due yet

        traveller.shift(timedelta(seconds=2))
        webhooks.sweep()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            S.PENDING,
            2,
            503,
        )
        # the wait doubles
        assert delivery.next_attempt_at == timezone.now() + timedelta(seconds=2 * FIRST_DELAY)

        traveller.shift(timedelta(seconds=2 * FIRST_DELAY))
        webhooks.sweep()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (S.SENT, 3)
    assert [r.signed for r in receiver.received] == [True, True, True]
    # the partner tells the retries apart by the one event_id they share
    assert len({r.json["event_id"] for r in receiver.received}) == 1
    codes = list(DeliveryAttempt.objects.order_by("at", "pk").values_list("status_code", flat=True))
    assert codes == [500, 503, 200]
    assert not Notification.objects.filter(kind="partner.webhook_failed").exists()


def test_a_400_is_given_up_at_once_and_supervisors_are_told_once(
    receiver, partner, known_case, supervisor, operator, django_capture_on_commit_callbacks
):
    receiver.answers = [400]
    with django_capture_on_commit_callbacks(execute=True):
        victim_writes(known_case)

    delivery = PartnerDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (S.FAILED, 1)
    assert delivery.last_error == "The partner answered 400"
    alerts = Notification.objects.filter(kind="partner.webhook_failed")
    assert set(alerts.values_list("recipient", flat=True)) == {supervisor.pk}
    assert alerts.filter(channel="in_app").count() == 1
    for alert in alerts:
        assert "CANARY" not in alert.text
        assert CRIME_REFERENCE not in alert.text

    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        webhooks.sweep()
    assert len(receiver.received) == 1
    assert alerts.filter(channel="in_app").count() == 1


def test_after_the_last_try_it_is_given_up_and_supervisors_are_told_once(
    receiver, partner, known_case, supervisor, settings, django_capture_on_commit_callbacks
):
    settings.PARTNER_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.answers = [502, 502, 502]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            victim_writes(known_case)
        traveller.shift(timedelta(seconds=FIRST_DELAY + 1))
        webhooks.sweep()
        traveller.shift(timedelta(hours=1))
        webhooks.sweep()

    delivery = PartnerDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (S.FAILED, 2)
    assert len(receiver.received) == 2
    in_app = Notification.objects.filter(kind="partner.webhook_failed", channel="in_app")
    assert list(in_app.values_list("recipient", flat=True)) == [supervisor.pk]


@pytest.mark.parametrize("code", [408, 429])
def test_a_refusal_the_partner_may_lift_is_retried(
    receiver, partner, known_case, code, django_capture_on_commit_callbacks
):
    receiver.answers = [code]
    with django_capture_on_commit_callbacks(execute=True):
        victim_writes(known_case)
    delivery = PartnerDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == (S.PENDING, code)


def test_no_connection_is_retried(
    helpline, supervisor, settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    with loopback_receiver() as gone:
        url = gone.url  # a port that nothing listens on once the server is stopped
    partner = make_partner(helpline, url=url)
    case = case_with_victim(helpline)
    give_crime_number(case, supervisor)
    receive_event(
        partner=partner,
        event=IncomingEvent(
            event_id="e",
            type=PartnerEventType.objects.get(code="court_date_set"),
            occurred_at=timezone.now(),
            crime_reference=CRIME_REFERENCE,
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        victim_writes(case)
    delivery = PartnerDelivery.objects.get()
    assert delivery.status == S.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("Could not connect")
    assert DeliveryAttempt.objects.get().status_code is None


def test_plain_http_is_refused_outside_debug(
    receiver, partner, known_case, settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = False
    with django_capture_on_commit_callbacks(execute=True):
        victim_writes(known_case)
    delivery = PartnerDelivery.objects.get()
    assert delivery.status == S.FAILED
    assert delivery.last_error == webhooks.BAD_ADDRESS
    assert receiver.received == []


def test_a_partner_switched_off_after_the_webhook_was_written_gets_nothing(
    receiver, partner, known_case, supervisor, django_capture_on_commit_callbacks
):
    victim_writes(known_case)  # written while the partner was on
    partner.is_active = False
    partner.save()
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.sweep()
    delivery = PartnerDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == (S.FAILED, webhooks.SWITCHED_OFF)
    assert receiver.received == []
    alerts = Notification.objects.filter(kind="partner.webhook_failed", channel="in_app")
    assert list(alerts.values_list("recipient", flat=True)) == [supervisor.pk]


def test_a_redirect_is_not_followed(
    receiver, partner, known_case, django_capture_on_commit_callbacks
):
    receiver.answers = [302]
    with django_capture_on_commit_callbacks(execute=True):
        victim_writes(known_case)
    assert PartnerDelivery.objects.get().status == S.FAILED
    assert len(receiver.received) == 1


def test_a_row_the_broker_never_got_is_sent_by_the_sweep(receiver, partner, known_case):
    victim_writes(known_case)  # commit hooks not run: as if the publish was lost
    assert receiver.received == []
    assert webhooks.sweep() == 1
    assert PartnerDelivery.objects.get().status == S.SENT
    assert len(receiver.received) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_one_webhook_at_once_send_it_once(helpline, settings):
    settings.DEBUG = True
    with loopback_receiver() as receiver:
        partner = make_partner(helpline, url=receiver.url)
        case = case_with_victim(helpline)
        # written without its hand-off, as when a sweep and the original task race for it
        row = PartnerDelivery.objects.create(
            partner=partner, type="victim.message", case=case, payload={"case": case.number}
        )
        workers = 4
        barrier = threading.Barrier(workers)

        def deliver(_: int) -> bool:
            barrier.wait()
            try:
                return webhooks.deliver(row.pk)
            finally:
                connection.close()

        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(deliver, range(workers)))

    assert sorted(results) == [False] * (workers - 1) + [True]
    assert len(receiver.received) == 1
    assert PartnerDelivery.objects.get().attempts == 1
