"""Twilio's webhooks for a call-back, signed with Twilio's own RequestValidator: the operator's
phone answers and is asked to press 1; the victim is dialled from the helpline's number (or a
withheld one) with machine detection; a machine is hung up on, a person bridged; the dial's end
records the talk time. Each is idempotent under Twilio's retries and refuses an unsigned call."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from django.test import Client
from structlog.testing import capture_logs

from live import callback
from live.models import Call, OperatorState
from tests.live import test_callback_fake as world
from tests.live.test_callback_fake import (
    HELPLINE_NUMBER,
    OPERATOR_PHONE,
    PHONE_OK,
    VICTIM_NAME,
    VICTIM_PHONE,
    set_preferences,
)
from tests.twilio import post_signed

pytestmark = pytest.mark.django_db
caller, victim_case, twilio_calls = world.caller, world.victim_case, world.twilio_calls
Outcome = Call.Outcome
HOOKS = "/intake/twilio/call-back/"
VICTIM_LEG = "CA" + "b" * 32


@pytest.fixture
def placed(victim_case, caller, twilio_calls, django_capture_on_commit_callbacks) -> Call:
    """A call-back pressed and placed: the operator's phone is ringing."""
    with django_capture_on_commit_callbacks(execute=True):
        call = callback.request_call_back(case=victim_case, actor=caller)
    call.refresh_from_db()
    assert call.call_sid == twilio_calls.placed[0].sid
    return call


def hook(client: Client, name: str, call: Call, **params: str):  # type: ignore[no-untyped-def]
    fields = {"AccountSid": "AC" + "0" * 32, "CallSid": call.call_sid, **params}
    return post_signed(client, f"{HOOKS}{name}/?call={call.pk}", fields)


def xml(response) -> ET.Element:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    return ET.fromstring(response.content)  # noqa: S314 - our own answer


def dial_up(client: Client, call: Call) -> ET.Element:
    """The operator answers and presses 1."""
    xml(hook(client, "operator", call, CallStatus="in-progress"))
    return xml(hook(client, "connect", call, Digits="1"))


def victim_answers(client: Client, call: Call, answered_by: str) -> ET.Element:
    return xml(
        post_signed(
            client,
            f"{HOOKS}answered/?call={call.pk}",
            {"CallSid": VICTIM_LEG, "ParentCallSid": call.call_sid, "AnsweredBy": answered_by},
        )
    )


def test_the_operators_phone_answers_and_is_asked_to_press_1(placed, settings) -> None:
    twiml = xml(hook(Client(), "operator", placed, CallStatus="in-progress"))

    gather = twiml.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert gather.get("action") == f"{settings.PUBLIC_BASE_URL}{HOOKS}connect/?call={placed.pk}"
    assert "Press 1" in gather.findtext("Say")
    assert twiml.find("Dial") is None  # nobody is dialled before 1 is pressed
    assert twiml[-1].tag == "Hangup"  # nothing pressed (a voicemail on the operator's phone)


def test_pressing_1_dials_the_victim_from_the_helpline_number(placed, settings) -> None:
    twiml = dial_up(Client(), placed)

    dial = twiml.find("Dial")
    assert dial is not None
    assert dial.get("callerId") == HELPLINE_NUMBER
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("action") == f"{settings.PUBLIC_BASE_URL}{HOOKS}dialled/?call={placed.pk}"
    assert dial.get("timeout") == str(settings.CALLBACK_VICTIM_RING_SECONDS)
    number = dial.find("Number")
    assert number is not None
    assert number.text == VICTIM_PHONE
    assert number.get("machineDetection") == "Enable"
    assert number.get("url") == f"{settings.PUBLIC_BASE_URL}{HOOKS}answered/?call={placed.pk}"
    placed.refresh_from_db()
    assert not placed.caller_id_withheld


def test_a_victim_who_said_do_not_name_us_sees_a_withheld_number(placed, settings) -> None:
    set_preferences(placed.case, {**PHONE_OK, "no_org_name": True})

    dial = dial_up(Client(), placed).find("Dial")

    assert dial is not None
    assert dial.get("callerId") == settings.CALLBACK_WITHHELD_CALLER_ID == "anonymous"
    assert HELPLINE_NUMBER not in ET.tostring(dial).decode()
    placed.refresh_from_db()
    assert placed.caller_id_withheld


def test_safe_contact_is_asked_once_more_before_dialling(placed) -> None:
    set_preferences(placed.case, {"contact": "none"})

    twiml = dial_up(Client(), placed)

    assert twiml.find("Dial") is None
    assert VICTIM_PHONE not in ET.tostring(twiml).decode()
    assert twiml[-1].tag == "Hangup"
    placed.refresh_from_db()
    assert placed.outcome == Outcome.REFUSED
    assert "asked not to be contacted" in placed.reason


def test_any_key_but_1_dials_nobody(placed) -> None:
    twiml = xml(hook(Client(), "connect", placed, Digits="2"))
    assert twiml.find("Dial") is None
    assert twiml[-1].tag == "Hangup"


@pytest.mark.parametrize("machine", ["machine_start", "machine_end_beep", "fax"])
def test_a_machine_is_hung_up_on_and_nothing_is_left(placed, machine, caller) -> None:
    client = Client()
    dial_up(client, placed)

    twiml = victim_answers(client, placed, machine)

    assert [child.tag for child in twiml] == ["Hangup"]
    placed.refresh_from_db()
    assert placed.outcome == Outcome.MACHINE
    assert placed.leg_sid == VICTIM_LEG
    assert placed.ended_at is not None
    assert not OperatorState.objects.filter(user=caller, state="busy").exists()
    # the dial's end that follows keeps the outcome, and tells the operator
    said = xml(hook(client, "dialled", placed, DialCallStatus="completed", DialCallDuration="0"))
    assert "Voicemail answered" in said.findtext("Say")
    placed.refresh_from_db()
    assert placed.outcome == Outcome.MACHINE


def test_a_person_answering_is_bridged_and_the_operator_is_busy_on_the_case(placed, caller) -> None:
    client = Client()
    dial_up(client, placed)

    twiml = victim_answers(client, placed, "human")

    assert list(twiml) == []  # nothing said to the victim: the call is bridged
    placed.refresh_from_db()
    assert placed.outcome == Outcome.ANSWERED
    assert placed.answered_at is not None
    state = OperatorState.objects.get(user=caller)
    assert (state.state, state.activity, state.case_id) == ("busy", "call", placed.case_id)


def test_the_dial_completed_records_the_talk_time_and_starts_wrap_up(placed, caller) -> None:
    client = Client()
    dial_up(client, placed)
    victim_answers(client, placed, "human")

    said = xml(hook(client, "dialled", placed, DialCallStatus="completed", DialCallDuration="125"))

    assert said[-1].tag == "Hangup"
    placed.refresh_from_db()
    assert (placed.outcome, placed.duration_seconds) == (Outcome.COMPLETED, 125)
    assert placed.ended_at is not None
    assert OperatorState.objects.get(user=caller).state == "wrap_up"


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_the_victim_not_answering_is_not_reached(placed, status) -> None:
    client = Client()
    dial_up(client, placed)

    xml(hook(client, "dialled", placed, DialCallStatus=status, DialCallDuration="0"))

    placed.refresh_from_db()
    assert placed.outcome == Outcome.NOT_REACHED
    assert placed.duration_seconds is None


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_the_operator_not_answering_fails_the_call_back(placed, status) -> None:
    xml(hook(Client(), "status", placed, CallStatus=status, CallDuration="0"))

    placed.refresh_from_db()
    assert placed.outcome == Outcome.FAILED
    assert "Your phone" in placed.reason
    # a late "press 1" from that leg dials nobody
    assert xml(hook(Client(), "connect", placed, Digits="1")).find("Dial") is None


def test_the_operator_hanging_up_mid_talk_ends_it_even_without_the_dials_action(
    placed, caller
) -> None:
    client = Client()
    dial_up(client, placed)
    victim_answers(client, placed, "human")

    xml(hook(client, "status", placed, CallStatus="completed", CallDuration="80"))

    placed.refresh_from_db()
    assert placed.outcome == Outcome.COMPLETED
    assert placed.duration_seconds is not None
    assert OperatorState.objects.get(user=caller).state == "wrap_up"


def test_retries_change_nothing_twice(placed, caller) -> None:
    client = Client()
    first = dial_up(client, placed)
    again = xml(hook(client, "connect", placed, Digits="1"))  # a retried connect: the same dial
    assert ET.tostring(first) == ET.tostring(again)

    victim_answers(client, placed, "human")
    busy_since = OperatorState.objects.get(user=caller).since
    assert list(victim_answers(client, placed, "human")) == []  # still bridged
    assert OperatorState.objects.get(user=caller).since == busy_since  # not set busy again

    hook(client, "dialled", placed, DialCallStatus="completed", DialCallDuration="125")
    placed.refresh_from_db()
    wrap_up = OperatorState.objects.get(user=caller).since
    ended = placed.ended_at
    hook(client, "dialled", placed, DialCallStatus="completed", DialCallDuration="999")
    hook(client, "status", placed, CallStatus="completed", CallDuration="130")
    placed.refresh_from_db()
    assert (placed.outcome, placed.duration_seconds, placed.ended_at) == (
        Outcome.COMPLETED,
        125,
        ended,
    )
    assert OperatorState.objects.get(user=caller).since == wrap_up


def test_a_leg_that_is_not_ours_changes_nothing(placed) -> None:
    client = Client()
    stranger = {"CallSid": "CA" + "f" * 32, "Digits": "1", "ParentCallSid": "CA" + "e" * 32}
    for name in ("operator", "connect", "answered", "dialled"):
        response = post_signed(client, f"{HOOKS}{name}/?call={placed.pk}", stranger)
        assert VICTIM_PHONE not in response.content.decode()
    # and a call id that is no call-back
    unknown = {"CallSid": placed.call_sid, "Digits": "1"}
    twiml = xml(post_signed(client, f"{HOOKS}connect/?call=999999", unknown))
    assert twiml.find("Dial") is None
    placed.refresh_from_db()
    assert (placed.outcome, placed.leg_sid) == (Outcome.RINGING, "")


def test_unsigned_or_forged_webhooks_are_refused(placed) -> None:
    client = Client()
    form = "application/x-www-form-urlencoded"
    for name in ("operator", "connect", "answered", "dialled", "status"):
        path = f"{HOOKS}{name}/?call={placed.pk}"
        params = {"CallSid": placed.call_sid, "Digits": "1", "CallStatus": "no-answer"}
        assert client.post(path, urlencode(params), content_type=form).status_code == 403
        forged = client.post(
            path, urlencode(params), content_type=form, HTTP_X_TWILIO_SIGNATURE="bm90IGl0"
        )
        assert forged.status_code == 403
    # signed for another call's address: the call id is part of what Twilio signs
    from tests.twilio import sign

    path = f"{HOOKS}connect/?call={placed.pk}"
    params = {"CallSid": placed.call_sid, "Digits": "1"}
    response = client.post(
        path,
        urlencode(params),
        content_type=form,
        HTTP_X_TWILIO_SIGNATURE=sign(f"{HOOKS}connect/?call={placed.pk + 1}", params),
    )
    assert response.status_code == 403
    placed.refresh_from_db()
    assert placed.outcome == Outcome.RINGING


def test_the_whole_call_logs_no_number_or_name(placed, caller) -> None:
    client = Client()
    with capture_logs() as logs:
        dial_up(client, placed)
        victim_answers(client, placed, "human")
        hook(client, "dialled", placed, DialCallStatus="completed", DialCallDuration="60")
    text = repr(logs)
    for secret in (VICTIM_PHONE, OPERATOR_PHONE, VICTIM_NAME, VICTIM_PHONE.lstrip("+")):
        assert secret not in text
    assert "request_finished" in text  # the log was captured
