"""A supervisor's override lifts a refusal the victim's preferences make, never one nobody may lift
(SECURITY SC-*, DESIGN rule 7): a STOP texted, or an address removed, after the override and
before a retry or the sweeper's next attempt stops the message when it is sent, as it would have
stopped it when queued."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django.db import transaction

from cases.models import Case
from notifications.models import Notification, SmsKeyword
from notifications.services import (
    Override,
    message_victim,
    record_sms_keyword,
    retry,
    sweep_outbox,
)
from tests.notifications.conftest import TEXT, VICTIM_PHONE
from tests.notifications.fakes import TwilioFake

pytestmark = pytest.mark.django_db

S = Notification.Status


def overridden_text(
    case: Case, supervisor, capture: Callable[..., AbstractContextManager[object]]
) -> Notification:
    """The victim asked not to be contacted; a supervisor sends anyway, with a reason."""
    victim = case.people.get(role="victim").person
    victim.contact_preferences = {**victim.contact_preferences, "contact": "none"}
    victim.save()
    with capture(execute=True), transaction.atomic():
        row = message_victim(
            case=case,
            channel="sms",
            text=TEXT,
            kind="victim.reply",
            sent_by=supervisor,
            override=Override(by=supervisor, reason="Made-up: the hearing moved to today"),
        )
    row.refresh_from_db()
    return row


def failed_once(case: Case, supervisor, twilio: TwilioFake, capture) -> Notification:
    twilio.refuse_next()
    row = overridden_text(case, supervisor, capture)
    assert row.overridden_by == supervisor
    assert row.status == S.FAILED
    return row


def test_a_stop_after_the_override_stops_the_retry(
    case, supervisor, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    row = failed_once(case, supervisor, twilio, django_capture_on_commit_callbacks)
    record_sms_keyword(
        message_sid="SM" + "5" * 32, phone=VICTIM_PHONE, keyword=SmsKeyword.Keyword.STOP
    )

    with django_capture_on_commit_callbacks(execute=True):
        retry(notification=row, actor=supervisor)

    row.refresh_from_db()
    assert row.status == S.SUPPRESSED
    assert "STOP" in row.reason
    assert len(twilio.requests) == 1  # only the refused first attempt reached the provider


def test_an_address_removed_after_the_override_stops_the_retry(
    case, supervisor, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    row = failed_once(case, supervisor, twilio, django_capture_on_commit_callbacks)
    victim = case.people.get(role="victim").person
    victim.phone = ""
    victim.save()

    with django_capture_on_commit_callbacks(execute=True):
        retry(notification=row, actor=supervisor)

    row.refresh_from_db()
    assert (row.status, row.reason) == (S.SUPPRESSED, "No phone number is recorded for the victim.")
    assert len(twilio.requests) == 1


def test_a_stop_before_the_sweepers_next_attempt_stops_it(
    case, supervisor, twilio: TwilioFake, django_capture_on_commit_callbacks, time_machine
) -> None:
    twilio.fail_next(1)  # a passing error: the row waits to be tried again
    row = overridden_text(case, supervisor, django_capture_on_commit_callbacks)
    assert (row.status, row.attempts) == (S.PENDING, 1)
    record_sms_keyword(
        message_sid="SM" + "6" * 32, phone=VICTIM_PHONE, keyword=SmsKeyword.Keyword.STOP
    )

    time_machine.move_to(row.not_before, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        sweep_outbox()

    row.refresh_from_db()
    assert row.status == S.SUPPRESSED
    assert len(twilio.requests) == 1


def test_the_override_still_lifts_the_refusal_it_was_given_for(
    case, supervisor, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    row = failed_once(case, supervisor, twilio, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        retry(notification=row, actor=supervisor)

    row.refresh_from_db()
    assert row.status == S.SENT  # "do not contact" is still recorded: the override holds for it
    assert [r.answered for r in twilio.requests] == [400, 201]
