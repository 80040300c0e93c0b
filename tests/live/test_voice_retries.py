"""Calls that ring operators under Twilio's at-least-once delivery (SECURITY IN-03, IN-09): unsigned
webhooks store nothing, every retry answers the same and changes nothing twice, any order of the
callbacks ends in one consistent call (hypothesis), two operators pressing 1 at once give one
winner (PostgreSQL), and with Redis and the broker down every answer is still TwiML."""

from __future__ import annotations

import socket
import threading
import uuid
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from cases.models import Case, Report
from live.models import Call, OperatorState
from live.presence import set_state, state_of
from tests.live.test_voice_calls import (
    call_params,
    dialled,
    ended,
    leg_params,
    make_operators,
    path_of,
    press,
    ring,
    twiml,
    whisper,
)
from tests.twilio import post_signed

pytestmark = pytest.mark.django_db
State = OperatorState.State
LINE = "+447700900000"


@pytest.fixture(autouse=True)
def line(helpline):
    helpline.phone_number = LINE
    helpline.save()
    return helpline


def test_unsigned_or_wrongly_signed_webhooks_are_403_and_store_nothing(client, helpline) -> None:
    (operator,) = make_operators(helpline, 1)
    paths = [
        "/intake/twilio/voice/",
        "/intake/twilio/voice/ring/whisper/?call=1&operator=1",
        "/intake/twilio/voice/ring/accept/?call=1&operator=1",
        "/intake/twilio/voice/ring/dialled/?call=1&leg=0",
        "/intake/twilio/voice/status/",
    ]
    params = call_params(Digits="1", DialCallStatus="completed")
    for path in paths:
        unsigned = client.post(
            path, urlencode(params), content_type="application/x-www-form-urlencoded"
        )
        forged = client.post(
            path,
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE="bm90IFR3aWxpbw==",
        )
        assert (unsigned.status_code, forged.status_code) == (403, 403), path
    assert not Report.objects.exists()
    assert not Call.objects.exists()
    assert state_of(operator) == State.AVAILABLE


def test_ids_changed_in_a_signed_url_fail_its_signature(client, helpline) -> None:
    """The call and operator ids are part of the URL Twilio signs: another operator's id, with the
    signature of the URL we wrote, is refused."""
    first, second = make_operators(helpline, 2)
    number = ring(client).find("Dial/Number")
    gather = whisper(client, number, first).find("Gather")
    written = path_of(gather.attrib["action"])
    from tests.twilio import sign

    params = leg_params(first, Digits="1")
    response = client.post(
        written.replace(f"operator={first.pk}", f"operator={second.pk}"),
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=sign(written, params),
    )

    assert response.status_code == 403
    assert Call.objects.get().operator is None


def test_every_retry_answers_the_same_and_changes_nothing_twice(client, helpline) -> None:
    operator, _ = make_operators(helpline, 2)
    first = post_signed(client, "/intake/twilio/voice/", call_params()).content
    for _ in range(2):
        assert post_signed(client, "/intake/twilio/voice/", call_params()).content == first
    dial = twiml(post_signed(client, "/intake/twilio/voice/", call_params())).find("Dial")
    number = dial.find("Number")

    accept = path_of(whisper(client, number, operator).find("Gather").attrib["action"])
    assert whisper(client, number, operator).find("Gather") is not None  # retried: the same
    pressed = post_signed(client, accept, leg_params(operator, Digits="1")).content
    since = OperatorState.objects.get(user=operator).since
    assert post_signed(client, accept, leg_params(operator, Digits="1")).content == pressed
    assert list(twiml(post_signed(client, accept, leg_params(operator, Digits="1")))) == []
    assert OperatorState.objects.get(user=operator).since == since
    answers = {str([el.tag for el in dialled(client, dial, "completed", "40")]) for _ in range(3)}
    for _ in range(3):
        ended(client)

    assert len(answers) == 1
    assert (Case.objects.count(), Report.objects.count(), Call.objects.count()) == (1, 1, 1)
    case = Case.objects.get()
    assert case.history.filter(history_change_reason="Claimed").count() == 1
    assert not case.needs_callback
    row = OperatorState.objects.get(user=operator)
    assert row.state == State.WRAP_UP
    wrap_up_since = row.since
    dialled(client, dial, "completed", "40")
    assert OperatorState.objects.get(user=operator).since == wrap_up_since
    assert Call.objects.get().duration_seconds == 40


def test_a_retried_dial_action_in_turn_rings_the_same_next_operator(client, helpline) -> None:
    from tests.live.test_voice_calls import in_turn

    in_turn(helpline, seconds=60)
    first, second, third = make_operators(helpline, 3)
    dial = ring(client).find("Dial")

    answers = [dialled(client, dial, "no-answer").find("Dial/Number").text for _ in range(3)]

    assert answers == [second.phone.as_e164] * 3
    assert Call.objects.get().rung == [first.pk, second.pk]


EVENTS = ["accept", "accept", "dialled", "dialled", "ended", "ended"]


@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(EVENTS))
def test_any_order_of_the_callbacks_ends_in_one_consistent_call(client, helpline, order) -> None:
    operator = make_operators(helpline, 1)[0]
    sid = "CA" + uuid.uuid4().hex  # examples share the database: each its own call
    dial = ring(client, sid).find("Dial")
    # the operator answered their phone while it rang, and hears the whisper
    accept = path_of(whisper(client, dial.find("Number"), operator).find("Gather").attrib["action"])
    steps = {
        "accept": lambda: post_signed(client, accept, leg_params(operator, Digits="1")),
        "dialled": lambda: dialled(client, dial, "completed", "30", sid=sid),
        "ended": lambda: ended(client, sid),
    }

    for event in order:
        steps[event]()

    call = Call.objects.get(call_sid=sid)
    case = call.case
    assert Report.objects.filter(source_id=sid).count() == 1
    first_end = min(order.index("dialled"), order.index("ended"))
    if order.index("accept") < first_end:
        assert (call.outcome, call.operator, call.duration_seconds) == ("completed", operator, 30)
        assert state_of(operator) == State.WRAP_UP
        assert not case.needs_callback
    else:
        expected = "no_answer" if order[first_end] == "dialled" else "hung_up"
        assert (call.outcome, call.operator) == (expected, None)
        assert state_of(operator) == State.AVAILABLE
        assert case.needs_callback
    assert call.ended_at is not None
    set_state(user=operator, state=State.AWAY)  # the next example's operators are new


@pytest.mark.django_db(transaction=True)
def test_two_operators_pressing_1_at_once_one_wins(require_postgresql, helpline) -> None:
    from tests.seeds import reseed

    reseed()
    operators = make_operators(helpline, 2)
    client = Client()
    numbers = ring(client).find("Dial").findall("Number")
    accept_paths = [
        path_of(whisper(client, number, user).find("Gather").attrib["action"])
        for number, user in zip(numbers, operators, strict=True)
    ]
    barrier = threading.Barrier(2)
    answers: dict[int, str] = {}

    def press_1(i: int) -> None:
        own = Client()
        barrier.wait()
        response = post_signed(
            own, accept_paths[i], leg_params(operators[i], f"CAop{i}", Digits="1")
        )
        answers[i] = response.content.decode()

    threads = [threading.Thread(target=press_1, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    call = Call.objects.get()
    winner = operators.index(call.operator)
    assert "<Say" not in answers[winner]
    assert "Someone else has taken this call" in answers[1 - winner]
    assert Case.objects.get().claimed_by == call.operator
    assert state_of(operators[winner]) == State.BUSY
    assert state_of(operators[1 - winner]) == State.AVAILABLE


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_with_redis_and_the_broker_down_every_answer_is_still_twiml(
    client, helpline, settings, django_capture_on_commit_callbacks
) -> None:
    """IN-09: the pushes to consoles (channel layer) and any queued task go to a closed port."""
    down = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [down]}}
    }
    settings.CELERY_BROKER_URL = down
    (operator,) = make_operators(helpline, 1)

    with django_capture_on_commit_callbacks(execute=True):
        dial = ring(client).find("Dial")
    with django_capture_on_commit_callbacks(execute=True):
        accepted = press(client, dial.find("Number"), operator, "1")
    with django_capture_on_commit_callbacks(execute=True):
        done = dialled(client, dial, "completed", "12")
    with django_capture_on_commit_callbacks(execute=True):
        ended(client)

    assert [n.text for n in dial.findall("Number")] == [operator.phone.as_e164]
    assert list(accepted) == []
    assert [el.tag for el in done] == ["Hangup"]
    assert Call.objects.get().outcome == Call.Outcome.COMPLETED
    assert state_of(operator) == State.WRAP_UP
