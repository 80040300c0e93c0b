"""Twilio's error answers in every shape it (or something in front of it) sends, from the loopback
stand-in for its REST API through the real twilio Client (issue 11.13, C-7). A refused send fails
at once, for a supervisor to see, instead of sitting in "sending" until the sweeper's unknown-
outcome timeout; a busy provider is tried again; an accepted send with an unreadable answer is
never sent twice. Twilio's own words can quote the number: they never reach the row."""

from __future__ import annotations

import pytest
from django.db import transaction

from notifications.models import Notification
from notifications.services import message_victim
from tests.notifications.conftest import CANARY_NAME, TEXT, VICTIM_PHONE
from tests.notifications.fakes import TwilioFake

pytestmark = pytest.mark.django_db

S = Notification.Status
PROBLEM = "application/problem+json"
SAYS_NUMBER = f"The 'To' number {VICTIM_PHONE} is not a valid phone number."

CLASSIC = {
    "code": 21211,
    "message": SAYS_NUMBER,
    "more_info": "https://www.twilio.com/docs/errors/21211",
    "status": 400,
}
NESTED = {
    "error": {
        "code": 21610,
        "message": f"Attempt to send to unsubscribed recipient {VICTIM_PHONE}",
        "more_info": "https://www.twilio.com/docs/errors/21610",
        "status": 400,
    }
}
RFC_9457 = {
    "type": "https://www.twilio.com/docs/errors/21211",
    "title": "Invalid 'To' Phone Number",
    "status": 400,
    "code": 21211,
    "detail": SAYS_NUMBER,
    "instance": "/2010-04-01/Accounts/AC00/Messages.json",
}

# (status, body, content type) -> (row status, words last_error must hold)
ANSWERS = {
    "classic body": (400, CLASSIC, "", S.FAILED, "HTTP 400, error 21211: not a valid"),
    "newer nested error": (400, NESTED, "", S.FAILED, "HTTP 400, error 21610: the phone has opted"),
    "problem+json": (400, RFC_9457, PROBLEM, S.FAILED, "HTTP 400, error 21211"),
    "problem+json without a code": (
        422,
        {"type": "about:blank", "title": "Unprocessable", "status": 422, "detail": SAYS_NUMBER},
        PROBLEM,
        S.FAILED,
        "refused the message (HTTP 422)",
    ),
    "a proxy's HTML page": (403, "<html>Forbidden</html>", "text/html", S.FAILED, "(HTTP 403)"),
    "problem+json, busy": (
        503,
        {**RFC_9457, "status": 503, "code": 20503, "title": "Service Unavailable"},
        PROBLEM,
        S.PENDING,
        "could not take the message now (HTTP 503, error 20503)",
    ),
    "nested, rate limited": (
        429,
        {"error": {"code": 20429, "message": "Too Many Requests", "status": 429}},
        "",
        S.PENDING,
        "could not take the message now (HTTP 429, error 20429)",
    ),
    "a 4xx that says busy": (
        400,
        {"error": {"code": 20429, "message": "Too Many Requests"}},
        "",
        S.PENDING,
        "could not take the message now (HTTP 400, error 20429)",
    ),
}


@pytest.mark.parametrize("shape", list(ANSWERS))
def test_each_error_shape_is_classified_when_the_send_is_answered(
    shape, case, supervisor, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    status, body, content_type, row_status, words = ANSWERS[shape]
    twilio.answer_next(status, body, content_type)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = message_victim(case=case, channel="sms", text=TEXT, kind="victim.reply")
    row.refresh_from_db()

    # decided by the answer itself: no row left "sending" for the sweeper
    assert (row.status, row.attempts) == (row_status, 1)
    assert words in row.last_error
    assert VICTIM_PHONE not in row.last_error
    assert "7700900456" not in row.last_error
    assert CANARY_NAME not in row.last_error
    assert len(twilio.requests) == 1
    told = Notification.objects.filter(kind="outbox.failed", recipient=supervisor).exists()
    assert told is (row_status == S.FAILED)
    if row_status == S.PENDING:
        assert row.not_before is not None  # tried again after the wait, by the sweeper


def test_an_accepted_send_with_an_answer_nobody_can_read_is_never_sent_again(
    case, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    twilio.answer_next(201, "<html>gateway says ok</html>", "text/html")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = message_victim(case=case, channel="sms", text=TEXT, kind="victim.reply")
    row.refresh_from_db()

    # the provider may have it: left for its delivery report or a person, never re-sent
    assert row.status == S.SENDING
    assert "Twilio answered 201 in a form not understood" in row.last_error
    assert len(twilio.requests) == 1
