"""Pressing "Call back": refused for each reason safe contact (or the set-up) gives, with nothing
placed and a refused Call row on the case; allowed, the operator's own phone is rung from the
helpline's number through Twilio's REST API (the real client against a loopback stand-in), after
commit, and never past the minute."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from structlog.testing import capture_logs

from cases.workflow import ConflictError, NotAllowedError
from live import callback
from live.models import Call
from tests.live import test_callback_fake as world
from tests.live.test_callback_fake import (
    HELPLINE_NUMBER,
    OPERATOR_PHONE,
    PHONE_OK,
    VICTIM_NAME,
    VICTIM_PHONE,
    set_preferences,
)

pytestmark = pytest.mark.django_db
# the call-back world's fixtures (tests/live/test_callback_fake.py)
caller, victim_case, twilio_calls = world.caller, world.victim_case, world.twilio_calls
Outcome = Call.Outcome
LONDON = ZoneInfo("Europe/London")


def press(case, user, captured) -> Call:  # type: ignore[no-untyped-def]
    with captured(execute=True):
        return callback.request_call_back(case=case, actor=user)


@pytest.mark.parametrize(
    ("prefs", "phone", "reason"),
    [
        (None, VICTIM_PHONE, "No safe-contact preferences are recorded"),
        ({"contact": "none", "channels": ["phone"]}, VICTIM_PHONE, "asked not to be contacted"),
        ({"contact": "allowed", "channels": ["sms"]}, VICTIM_PHONE, "did not say a phone call"),
        ({"contact": "only_if_i_contact_first", "channels": ["phone"]}, VICTIM_PHONE,
         "Only if the victim contacts us first"),
        (PHONE_OK, "", "No phone number is recorded for the victim"),
    ],
    ids=["no-preferences", "do-not-contact", "phone-not-safe", "only-if-first", "no-phone"],
)  # fmt: skip
def test_refused_for_each_safe_contact_reason_places_nothing(
    prefs, phone, reason, victim_case, caller, twilio_calls, django_capture_on_commit_callbacks
) -> None:
    set_preferences(victim_case, prefs, phone=phone)

    call = press(victim_case, caller, django_capture_on_commit_callbacks)

    assert twilio_calls.requests == []
    call.refresh_from_db()
    assert (call.direction, call.outcome, call.operator) == ("callback", Outcome.REFUSED, caller)
    assert reason in call.reason
    assert call.ended_at is not None
    assert call.call_sid == ""
    assert VICTIM_PHONE not in call.reason


def test_outside_safe_hours_says_from_when(victim_case, caller, twilio_calls,
                                           django_capture_on_commit_callbacks) -> None:  # fmt: skip
    set_preferences(victim_case, {**PHONE_OK, "safe_from": "18:00", "safe_until": "21:00"})
    noon = datetime(2026, 3, 4, 12, 0, tzinfo=LONDON)

    answer = callback.verdict(victim_case, caller, now=noon)
    assert not answer.allowed
    assert answer.words == "Not now: outside the victim's safe hours, from 18:00"
    with django_capture_on_commit_callbacks(execute=True):
        call = callback.request_call_back(case=victim_case, actor=caller, now=noon)
    assert call.outcome == Outcome.REFUSED
    assert "from 18:00" in call.reason
    assert twilio_calls.requests == []
    # inside the window it is allowed
    assert callback.verdict(victim_case, caller, now=noon.replace(hour=19)).allowed


def test_an_operator_without_a_phone_of_their_own_cannot_call_back(
    victim_case, operator, twilio_calls, django_capture_on_commit_callbacks
) -> None:
    assert not operator.phone
    call = press(victim_case, operator, django_capture_on_commit_callbacks)
    assert call.outcome == Outcome.REFUSED
    assert "no phone number of your own" in call.reason
    assert twilio_calls.requests == []


def test_allowed_rings_the_operator_from_the_helpline_number(
    victim_case, caller, twilio_calls, django_capture_on_commit_callbacks, settings
) -> None:
    with capture_logs() as logs:
        call = press(victim_case, caller, django_capture_on_commit_callbacks)

    [placed] = twilio_calls.placed
    assert placed.authorised
    assert (placed.to, placed.from_) == (OPERATOR_PHONE, HELPLINE_NUMBER)  # never the victim's
    hooks = settings.PUBLIC_BASE_URL + "/intake/twilio/call-back/"
    assert placed.url == f"{hooks}operator/?call={call.pk}"
    assert placed.status_callback == f"{hooks}status/?call={call.pk}"
    assert placed.timeout == str(settings.CALLBACK_OPERATOR_RING_SECONDS)
    assert placed.idempotency_key == f"lantern-callback-{call.pk}"
    call.refresh_from_db()
    assert (call.outcome, call.call_sid, call.caller_id_withheld) == (
        Outcome.RINGING,
        placed.sid,
        False,
    )
    # nothing about the victim in any address or log line
    for text in (placed.url, placed.status_callback, repr(logs)):
        assert VICTIM_PHONE not in text
        assert OPERATOR_PHONE not in text
        assert VICTIM_NAME not in text


def test_a_victim_who_said_do_not_name_us_gets_a_withheld_number(
    victim_case, caller, twilio_calls, django_capture_on_commit_callbacks
) -> None:
    set_preferences(victim_case, {**PHONE_OK, "no_org_name": True})
    assert "withheld" in callback.verdict(victim_case, caller).words
    call = press(victim_case, caller, django_capture_on_commit_callbacks)
    call.refresh_from_db()
    assert call.caller_id_withheld
    assert call.outcome == Outcome.RINGING
    assert len(twilio_calls.placed) == 1


def test_nothing_is_placed_before_commit_or_if_the_press_rolls_back(
    victim_case, caller, twilio_calls, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        callback.request_call_back(case=victim_case, actor=caller)
    assert len(callbacks) == 1
    assert twilio_calls.requests == []


def test_a_call_back_not_placed_within_the_minute_is_failed_never_late(
    victim_case, caller, twilio_calls, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        call = callback.request_call_back(case=victim_case, actor=caller)

    callback.place(call.pk, now=call.started_at + timedelta(seconds=61))

    call.refresh_from_db()
    assert call.outcome == Outcome.FAILED
    assert "never placed late" in call.reason
    assert twilio_calls.requests == []


def test_safe_contact_is_asked_again_when_the_call_is_placed(
    victim_case, caller, twilio_calls, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        call = callback.request_call_back(case=victim_case, actor=caller)
    set_preferences(victim_case, {"contact": "none"})  # they changed their mind meanwhile

    callback.place(call.pk)

    call.refresh_from_db()
    assert call.outcome == Outcome.REFUSED
    assert "asked not to be contacted" in call.reason
    assert twilio_calls.requests == []


def test_the_task_run_twice_places_one_call(
    victim_case, caller, twilio_calls, django_capture_on_commit_callbacks
) -> None:
    call = press(victim_case, caller, django_capture_on_commit_callbacks)
    from live.tasks import place_call_back

    place_call_back.delay(call.pk)
    place_call_back.delay(call.pk)
    assert len(twilio_calls.requests) == 1


def test_twilio_refusing_the_call_fails_it_in_staff_words(
    victim_case, caller, twilio_calls, django_capture_on_commit_callbacks
) -> None:
    twilio_calls.fail_next(400, 21211)
    call = press(victim_case, caller, django_capture_on_commit_callbacks)
    call.refresh_from_db()
    assert call.outcome == Outcome.FAILED
    assert "not a valid phone number" in call.reason
    assert OPERATOR_PHONE not in call.reason


def test_a_second_press_while_one_is_under_way_is_refused(
    victim_case, caller, twilio_calls, django_capture_on_commit_callbacks
) -> None:
    press(victim_case, caller, django_capture_on_commit_callbacks)
    with pytest.raises(ConflictError):
        press(victim_case, caller, django_capture_on_commit_callbacks)
    assert len(twilio_calls.requests) == 1


def test_someone_who_may_not_change_the_case_places_nothing(
    victim_case, caller, twilio_calls, other_operator, monitor, otp_client,
    django_capture_on_commit_callbacks,
) -> None:  # fmt: skip
    url = reverse("live-callback:call-back", args=[victim_case.number])
    # another helpline's operator cannot see the case at all: 404
    assert otp_client(other_operator).post(url).status_code == 404
    # a monitor sees it but may not change it: 403
    assert otp_client(monitor).post(url).status_code == 403
    # and the service itself says no to them
    with pytest.raises(NotAllowedError):
        callback.request_call_back(case=victim_case, actor=monitor)
    # GET does nothing; signed out goes to sign-in
    assert otp_client(caller).get(url).status_code == 405
    assert Client().post(url).status_code == 302
    assert not Call.objects.exists()
    assert twilio_calls.requests == []


def test_the_button_says_what_happened(
    victim_case, caller, twilio_calls, otp_client, django_capture_on_commit_callbacks
) -> None:
    url = reverse("live-callback:call-back", args=[victim_case.number])
    browser = otp_client(caller)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(url, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"/cases/{victim_case.number}/#calls")
    assert "Calling your phone now" in response.content.decode()
    assert len(twilio_calls.placed) == 1
    # pressed again at once: the call under way is said, nothing more placed
    response = browser.post(url, follow=True)
    assert "already under way" in response.content.decode()
    assert len(twilio_calls.placed) == 1


def test_a_refused_press_says_why_on_the_page(
    victim_case, caller, twilio_calls, otp_client
) -> None:
    set_preferences(victim_case, {"contact": "none"})
    url = reverse("live-callback:call-back", args=[victim_case.number])
    response = otp_client(caller).post(url, follow=True)
    assert (
        "Call-back not placed: The victim asked not to be contacted." in response.content.decode()
    )
    assert Call.objects.get().outcome == Outcome.REFUSED


def test_a_broker_that_is_down_fails_the_call_back_at_once(
    victim_case, caller, twilio_calls, django_capture_on_commit_callbacks, settings, monkeypatch
) -> None:
    from kombu.exceptions import OperationalError

    from live.tasks import place_call_back

    def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to Redis")

    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in production: a worker, through Redis
    monkeypatch.setattr(place_call_back, "apply_async", down)
    call = press(victim_case, caller, django_capture_on_commit_callbacks)

    call.refresh_from_db()
    assert call.outcome == Outcome.FAILED
    assert "task queue is not answering" in call.reason
    assert twilio_calls.requests == []


def test_the_task_is_queued_with_a_one_minute_expiry(
    victim_case, caller, twilio_calls, django_capture_on_commit_callbacks, settings, monkeypatch
) -> None:
    from live.tasks import place_call_back

    queued: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(place_call_back, "apply_async", lambda *a, **k: queued.append((a, k)))
    call = press(victim_case, caller, django_capture_on_commit_callbacks)

    assert queued == [(((call.pk,),), {"expires": settings.CALLBACK_PLACE_WITHIN_SECONDS})]
    assert twilio_calls.requests == []


def test_a_call_back_whose_task_never_ran_does_not_block_the_next_press(
    victim_case, caller, twilio_calls, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # no worker ever takes it
        stuck = callback.request_call_back(case=victim_case, actor=caller)
    Call.objects.filter(pk=stuck.pk).update(started_at=stuck.started_at - timedelta(minutes=5))
    stuck.refresh_from_db()
    assert callback.never_placed(stuck, stuck.started_at + timedelta(minutes=5))

    call = press(victim_case, caller, django_capture_on_commit_callbacks)

    stuck.refresh_from_db()
    assert (stuck.outcome, stuck.reason) == (Outcome.FAILED, callback.NOT_PLACED_IN_TIME)
    call.refresh_from_db()
    assert call.outcome == Outcome.RINGING
    assert len(twilio_calls.placed) == 1
