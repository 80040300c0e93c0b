"""Calls that ring operators (issue 17 part 1), every path through Twilio's signed webhooks: the
<Dial> at once and in turn, the whisper, press 1 to take the call (the case claimed, the operator
busy), someone else first, another key, nobody in time or nobody there (the greeting and a
recording as before), a talked call ending in wrap-up with its length, and a caller who hangs up
while it rings (a case to call back). Retries, races and Redis down: test_voice_retries.py."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.models import Organisation, User
from cases.models import Case
from live.models import Call, LineSettings, OperatorState
from live.presence import set_state, state_of
from tests.factories import StaffFactory
from tests.twilio import post_signed

pytestmark = pytest.mark.django_db
State = OperatorState.State

LINE = "+447700900000"  # the helpline's made-up number
CALLER = "+447700900321"  # a made-up caller


def call_params(sid: str = "CA1", **more: str) -> dict[str, str]:
    return {"CallSid": sid, "From": CALLER, "To": LINE, "CallStatus": "ringing", **more}


def twiml(response) -> ElementTree.Element:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    return ElementTree.fromstring(response.content)  # noqa: S314 - our own answer


def path_of(url: str) -> str:
    """The path and query Twilio would call back (our URL, so it is signed as written)."""
    assert url.startswith(django_settings.PUBLIC_BASE_URL)
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def make_operators(helpline: Organisation, count: int, *, start: int = 0) -> list[User]:
    """`count` operators on duty, available, the first waiting longest, each with a phone."""
    now = timezone.now()
    staff = []
    for i in range(count):
        user = StaffFactory(organisation=helpline, role=User.Role.OPERATOR)
        user.on_duty, user.phone = True, f"+4477009005{start + i:02d}"
        user.save(update_fields=["on_duty", "phone"])
        set_state(user=user, state=State.AVAILABLE, now=now - timedelta(minutes=60 - i))
        staff.append(user)
    return staff


def ring(client, sid: str = "CA1") -> ElementTree.Element:  # type: ignore[no-untyped-def]
    return twiml(post_signed(client, "/intake/twilio/voice/", call_params(sid)))


def leg_params(operator: User, leg_sid: str = "CAleg", **more: str) -> dict[str, str]:
    return {"CallSid": leg_sid, "From": LINE, "To": operator.phone.as_e164, **more}


def whisper(client, number: ElementTree.Element, operator: User) -> ElementTree.Element:  # type: ignore[no-untyped-def]
    return twiml(post_signed(client, path_of(number.attrib["url"]), leg_params(operator)))


def press(client, number: ElementTree.Element, operator: User, digits: str, leg_sid: str = "CAleg"):  # type: ignore[no-untyped-def]  # fmt: skip
    gather = whisper(client, number, operator).find("Gather")
    assert gather is not None
    path = path_of(gather.attrib["action"])
    return twiml(post_signed(client, path, leg_params(operator, leg_sid, Digits=digits)))


def dialled(client, dial: ElementTree.Element, status: str, duration: str = "", sid: str = "CA1"):  # type: ignore[no-untyped-def]  # fmt: skip
    params = call_params(sid, CallStatus="in-progress", DialCallStatus=status)
    if duration:
        params["DialCallDuration"] = duration
    return twiml(post_signed(client, path_of(dial.attrib["action"]), params))


def ended(client, sid: str = "CA1", status: str = "completed"):  # type: ignore[no-untyped-def]
    response = post_signed(
        client, "/intake/twilio/voice/status/", call_params(sid, CallStatus=status)
    )
    assert response.status_code == 200
    return response


def assert_message_recorded(root: ElementTree.Element) -> None:
    """The greeting and a recording with intake's own callbacks, exactly as before."""
    base = django_settings.PUBLIC_BASE_URL
    assert [el.tag for el in root] == ["Say", "Record", "Hangup"]
    assert root.find("Say").text == django_settings.VOICE_GREETING
    record = root.find("Record").attrib
    assert record["action"] == record["recordingStatusCallback"]
    assert record["action"] == f"{base}/intake/twilio/voice/recording/"
    assert record["transcribeCallback"] == f"{base}/intake/twilio/voice/transcription/"


@pytest.fixture(autouse=True)
def line(helpline: Organisation) -> Organisation:
    helpline.phone_number = LINE
    helpline.save()
    return helpline


def in_turn(helpline: Organisation, seconds: int = 30) -> None:
    LineSettings.objects.create(
        helpline=helpline, ring_mode=LineSettings.RingMode.IN_TURN, ring_seconds=seconds
    )


# Ringing ------------------------------------------------------------------------------------------


def test_a_call_rings_every_available_operator_at_once_after_its_case_is_opened(
    client, helpline, other_helpline, settings
) -> None:
    # given two available operators with phones, and some who must not be rung
    first, second = make_operators(helpline, 2)
    no_phone = StaffFactory(organisation=helpline, on_duty=True)
    set_state(user=no_phone, state=State.AVAILABLE)
    away = StaffFactory(organisation=helpline, on_duty=True, phone="+447700900599")
    set_state(user=away, state=State.AWAY)
    make_operators(other_helpline, 1, start=50)

    # when
    root = ring(client)

    # then the case is opened, and both phones ring for the default time with a whisper each
    case = Case.objects.get()
    assert case.channel == Case.Channel.VOICE
    dial = root.find("Dial")
    assert [el.tag for el in root] == ["Dial"]
    assert dial.attrib["timeout"] == str(settings.VOICE_RING_SECONDS)
    assert dial.attrib["callerId"] == LINE  # the helpline's number, never the caller's
    numbers = dial.findall("Number")
    assert [n.text for n in numbers] == [first.phone.as_e164, second.phone.as_e164]
    call = Call.objects.get()
    assert (call.case, call.direction, call.call_sid) == (case, "inbound", "CA1")
    assert (call.outcome, call.rung) == (Call.Outcome.RINGING, [first.pk, second.pk])
    base = settings.PUBLIC_BASE_URL + "/intake/twilio/voice/ring/"
    assert [n.attrib["url"] for n in numbers] == [
        f"{base}whisper/?call={call.pk}&operator={first.pk}",
        f"{base}whisper/?call={call.pk}&operator={second.pk}",
    ]
    assert dial.attrib["action"] == f"{base}dialled/?call={call.pk}&leg=0"
    assert CALLER not in response_text(root)


def test_twilio_is_asked_to_ring_at_most_ten_phones(client, helpline) -> None:
    staff = make_operators(helpline, 12)
    numbers = ring(client).find("Dial").findall("Number")
    assert [n.text for n in numbers] == [user.phone.as_e164 for user in staff[:10]]


def test_a_line_that_rings_in_turn_rings_the_longest_waiting_then_the_next(
    client, helpline
) -> None:
    # given a line ringing in turn, 30 s in all, and three operators
    in_turn(helpline, seconds=30)
    first, second, third = make_operators(helpline, 3)

    # when the call comes
    dial = ring(client).find("Dial")

    # then only the longest-waiting operator rings, for their share
    assert [n.text for n in dial.findall("Number")] == [first.phone.as_e164]
    assert dial.attrib["timeout"] == "10"
    # when they do not answer, the next is rung, then the third
    dial = dialled(client, dial, "no-answer").find("Dial")
    assert [n.text for n in dial.findall("Number")] == [second.phone.as_e164]
    assert dial.attrib["action"].endswith("&leg=1")
    dial = dialled(client, dial, "busy").find("Dial")
    assert [n.text for n in dial.findall("Number")] == [third.phone.as_e164]
    # and after the last, the caller leaves a message
    assert_message_recorded(dialled(client, dial, "no-answer"))
    call = Call.objects.get()
    assert (call.outcome, call.rung) == (Call.Outcome.NO_ANSWER, [first.pk, second.pk, third.pk])


def test_in_turn_stops_at_the_lines_ring_time(client, helpline) -> None:
    in_turn(helpline, seconds=20)
    make_operators(helpline, 3)
    dial = ring(client).find("Dial")
    Call.objects.update(started_at=timezone.now() - timedelta(seconds=17))  # 3 s left: too short

    assert_message_recorded(dialled(client, dial, "no-answer"))
    assert len(Call.objects.get().rung) == 1


def test_nobody_available_leaves_a_message_as_before(client, helpline) -> None:
    root = ring(client)

    assert_message_recorded(root)
    call = Call.objects.get()
    assert (call.outcome, call.rung, call.case) == (
        Call.Outcome.NOBODY_AVAILABLE,
        [],
        Case.objects.get(),
    )


def test_nobody_answering_in_time_leaves_a_message_and_without_one_a_call_back(
    client, helpline
) -> None:
    make_operators(helpline, 2)
    dial = ring(client).find("Dial")

    assert_message_recorded(dialled(client, dial, "no-answer"))
    ended(client)

    call = Call.objects.get()
    assert call.outcome == Call.Outcome.NO_ANSWER
    assert call.ended_at is not None
    assert Case.objects.get().needs_callback


# The whisper and the key press --------------------------------------------------------------


def test_the_whisper_asks_for_one_key_and_says_nothing_about_the_caller(
    client, helpline, settings
) -> None:
    (operator,) = make_operators(helpline, 1)
    number = ring(client).find("Dial/Number")

    root = whisper(client, number, operator)

    assert [el.tag for el in root] == ["Gather", "Hangup"]  # silence: this leg hangs up
    gather = root.find("Gather")
    assert gather.attrib["numDigits"] == "1"
    call = Call.objects.get()
    assert gather.attrib["action"] == (
        f"{settings.PUBLIC_BASE_URL}/intake/twilio/voice/ring/accept/?call={call.pk}&operator={operator.pk}"
    )
    assert gather.find("Say").text == settings.VOICE_WHISPER
    assert CALLER not in response_text(root)
    assert Case.objects.get().number not in response_text(root)


def response_text(root: ElementTree.Element) -> str:
    return ElementTree.tostring(root, encoding="unicode")


def test_pressing_1_puts_the_operator_through_claims_the_case_and_makes_them_busy(
    client, helpline
) -> None:
    operator, other = make_operators(helpline, 2)
    number = ring(client).find("Dial/Number")

    root = press(client, number, operator, "1", leg_sid="CAop1")

    assert list(root) == []  # an empty answer: Twilio bridges this leg to the caller
    case = Case.objects.get()
    assert (case.status, case.claimed_by) == (Case.Status.IN_TRIAGE, operator)
    call = Call.objects.get()
    assert (call.outcome, call.operator, call.leg_sid) == (Call.Outcome.ANSWERED, operator, "CAop1")
    assert call.answered_at is not None
    row = OperatorState.objects.get(user=operator)
    assert (row.state, row.activity, row.case) == (State.BUSY, "call", case)
    assert state_of(other) == State.AVAILABLE


def test_a_second_operator_pressing_1_hears_someone_else_took_it(
    client, helpline, settings
) -> None:
    first, second = make_operators(helpline, 2)
    numbers = ring(client).find("Dial").findall("Number")
    gather_second = whisper(client, numbers[1], second).find("Gather")  # both listening

    press(client, numbers[0], first, "1")
    path = path_of(gather_second.attrib["action"])
    root = twiml(post_signed(client, path, leg_params(second, "CAop2", Digits="1")))

    assert [el.tag for el in root] == ["Say", "Hangup"]
    assert root.find("Say").text == settings.VOICE_TAKEN_ELSEWHERE
    assert Call.objects.get().operator == first
    assert state_of(second) == State.AVAILABLE
    # and one who answers their phone only now is not asked at all
    late = whisper(client, numbers[1], second)
    assert [el.tag for el in late] == ["Say", "Hangup"]


@pytest.mark.parametrize("digits", ["2", "9", "*", "#", ""])
def test_any_other_key_ends_that_leg_only(client, helpline, digits) -> None:
    (operator,) = make_operators(helpline, 1)
    number = ring(client).find("Dial/Number")

    root = press(client, number, operator, digits)

    assert [el.tag for el in root] == ["Hangup"]
    call = Call.objects.get()
    assert (call.outcome, call.operator) == (Call.Outcome.RINGING, None)
    assert Case.objects.get().status == Case.Status.NEW
    assert state_of(operator) == State.AVAILABLE


def test_an_operator_not_rung_on_this_call_cannot_take_it(client, helpline) -> None:
    (operator,) = make_operators(helpline, 1)
    (stranger,) = make_operators(helpline, 1, start=40)
    set_state(user=stranger, state=State.AWAY)
    ring(client)
    call = Call.objects.get()
    path = f"/intake/twilio/voice/ring/accept/?call={call.pk}&operator={stranger.pk}"

    root = twiml(post_signed(client, path, leg_params(stranger, Digits="1")))

    assert [el.tag for el in root] == ["Hangup"]
    assert Call.objects.get().operator is None


# The end of the call ------------------------------------------------------------------------


def test_a_talked_call_ends_with_its_length_wrap_up_and_no_call_back(client, helpline) -> None:
    operator, _ = make_operators(helpline, 2)
    dial = ring(client).find("Dial")
    press(client, dial.find("Number"), operator, "1")

    root = dialled(client, dial, "completed", duration="95")
    ended(client)

    assert [el.tag for el in root] == ["Hangup"]
    call = Call.objects.get()
    assert (call.outcome, call.duration_seconds) == (Call.Outcome.COMPLETED, 95)
    assert call.ended_at is not None
    row = OperatorState.objects.get(user=operator)
    assert (row.state, row.activity) == (State.WRAP_UP, "call")
    assert row.until == row.since + timedelta(seconds=LineSettings().wrap_up_seconds)
    assert not Case.objects.get().needs_callback


def test_the_status_callback_first_then_the_dial_action_gives_the_same_end(
    client, helpline
) -> None:
    (operator,) = make_operators(helpline, 1)
    dial = ring(client).find("Dial")
    press(client, dial.find("Number"), operator, "1")

    ended(client)
    since = OperatorState.objects.get(user=operator).since
    dialled(client, dial, "completed", duration="61")

    call = Call.objects.get()
    assert (call.outcome, call.duration_seconds) == (Call.Outcome.COMPLETED, 61)
    row = OperatorState.objects.get(user=operator)
    assert (row.state, row.since) == (State.WRAP_UP, since)  # wrap-up started once
    assert not Case.objects.get().needs_callback


def test_a_caller_who_hangs_up_while_it_rings_is_a_case_to_call_back(
    client, helpline, settings
) -> None:
    (operator,) = make_operators(helpline, 1)
    dial = ring(client).find("Dial")
    number = dial.find("Number")

    ended(client)  # the caller gave up
    late_action = dialled(client, dial, "canceled")
    late_whisper = whisper(client, number, operator)

    call = Call.objects.get()
    assert (call.outcome, call.operator) == (Call.Outcome.HUNG_UP, None)
    assert call.ended_at is not None
    assert Case.objects.get().needs_callback
    assert [el.tag for el in late_action] == ["Hangup"]
    assert late_whisper.find("Say").text == settings.VOICE_CALLER_GONE
    assert state_of(operator) == State.AVAILABLE
