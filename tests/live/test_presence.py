"""Operators' states as services (live.presence): choosing Available or Away, Busy and Wrap-up set
by Lantern, wrap-up running out (read as available at once, written down by the job), duty and
state together, who routing may offer a call or chat, and the operator.state event after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from live.models import LineSettings, OperatorState
from live.presence import (
    PresenceError,
    available_operators,
    choose_state,
    end_conversation,
    end_run_out_wrap_ups,
    helpline_states,
    set_duty,
    start_conversation,
    state_of,
)
from live.tasks import end_wrap_ups
from tests.factories import CaseFactory, StaffFactory

pytestmark = pytest.mark.django_db
State = OperatorState.State


def on_duty(user: User) -> User:
    user.on_duty = True
    user.save(update_fields=["on_duty"])
    return user


def test_nobody_is_available_until_they_say_so(helpline, operator) -> None:
    # given an operator on duty who never chose a state
    on_duty(operator)

    # then
    assert state_of(operator) == State.AWAY
    assert available_operators(helpline) == []


def test_choosing_available_puts_the_operator_on_duty_and_in_routing(
    helpline, operator, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    # given an operator off duty
    assert not operator.on_duty

    # when
    with django_capture_on_commit_callbacks(execute=True):
        choose_state(user=operator, state=State.AVAILABLE)

    # then
    operator.refresh_from_db()
    assert operator.on_duty
    assert available_operators(helpline) == [operator]
    assert operator.history.latest().history_change_reason == "On duty"
    [(groups, event)] = captured_broadcasts
    assert groups == [f"helpline.{helpline.pk}"]
    assert event["type"] == "operator.state"
    assert event["operator"]["id"] == operator.pk
    assert event["operator"]["username"] == "amina"
    assert event["operator"]["state"] == "available"
    assert set(event["operator"]) == {"id", "username", "state", "since", "until", "activity"}


def test_going_off_duty_is_away_too(
    helpline, operator, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    # given
    choose_state(user=operator, state=State.AVAILABLE)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        set_duty(user=operator, on_duty=False)

    # then
    operator.refresh_from_db()
    assert not operator.on_duty
    assert state_of(operator) == State.AWAY
    assert available_operators(helpline) == []
    assert captured_broadcasts[-1][1]["operator"]["state"] == "away"


def test_going_on_duty_again_leaves_them_away_until_they_choose(helpline, operator) -> None:
    set_duty(user=operator, on_duty=True)
    assert state_of(operator) == State.AWAY
    assert available_operators(helpline) == []


def test_away_keeps_the_shift(helpline, operator) -> None:
    # given an available operator
    choose_state(user=operator, state=State.AVAILABLE)

    # when they take a break
    choose_state(user=operator, state=State.AWAY)

    # then they stay on duty but are offered nothing
    operator.refresh_from_db()
    assert operator.on_duty
    assert available_operators(helpline) == []


@pytest.mark.parametrize("state", [State.BUSY, State.WRAP_UP, "lunch"])
def test_busy_and_wrap_up_are_not_chosen_by_hand(operator, state) -> None:
    with pytest.raises(PresenceError):
        choose_state(user=operator, state=state)
    assert state_of(operator) == State.AWAY


def test_a_busy_operator_cannot_make_themselves_available_but_can_go_away(
    helpline, operator
) -> None:
    # given an operator on a call
    choose_state(user=operator, state=State.AVAILABLE)
    start_conversation(user=operator, activity="call", case=CaseFactory(helpline=helpline))

    # then Available is refused (the call ends it), Away is the way out of a lost call end
    with pytest.raises(PresenceError):
        choose_state(user=operator, state=State.AVAILABLE)
    assert state_of(operator) == State.BUSY
    choose_state(user=operator, state=State.AWAY)
    assert state_of(operator) == State.AWAY


def test_wrap_up_follows_a_conversation_then_runs_out_by_itself(helpline, operator) -> None:
    # given a helpline with a 60 s wrap-up and an operator on a chat
    LineSettings.objects.create(helpline=helpline, wrap_up_seconds=60)
    case = CaseFactory(helpline=helpline)
    choose_state(user=operator, state=State.AVAILABLE)
    start_conversation(user=operator, activity="chat", case=case)
    assert available_operators(helpline) == []

    # when the chat ends
    ended = timezone.now()
    row = end_conversation(user=operator, now=ended)

    # then wrap-up for a minute, keeping what it was about; not offered anything meanwhile
    assert (row.state, row.activity, row.case) == (State.WRAP_UP, "chat", case)
    assert row.until == ended + timedelta(seconds=60)
    assert available_operators(helpline, now=ended + timedelta(seconds=59)) == []
    # and available the moment it runs out, whether or not the job ran yet
    assert available_operators(helpline, now=ended + timedelta(seconds=60)) == [operator]
    assert state_of(operator, now=ended + timedelta(seconds=61)) == State.AVAILABLE


def test_the_job_writes_run_out_wrap_ups_down_and_tells_the_consoles(
    helpline, operator, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    # given one wrap-up that ran out and one that did not
    colleague = on_duty(StaffFactory(organisation=helpline))
    LineSettings.objects.create(helpline=helpline, wrap_up_seconds=30)
    case = CaseFactory(helpline=helpline)
    on_duty(operator)
    start_conversation(user=operator, activity="call", case=case)
    start_conversation(user=colleague, activity="call", case=case)
    then = timezone.now() - timedelta(seconds=45)
    end_conversation(user=operator, now=then)
    end_conversation(user=colleague)
    captured_broadcasts.clear()

    # when the periodic job runs (as beat runs it)
    with django_capture_on_commit_callbacks(execute=True):
        assert end_wrap_ups.delay().get() == 1

    # then only the run-out one is available, since the moment it ran out, and pushed
    row = OperatorState.objects.get(user=operator)
    assert (row.state, row.since, row.until, row.case) == (
        State.AVAILABLE, then + timedelta(seconds=30), None, None,
    )  # fmt: skip
    assert OperatorState.objects.get(user=colleague).state == State.WRAP_UP
    [(_, event)] = captured_broadcasts
    assert event["operator"]["id"] == operator.pk
    assert event["operator"]["state"] == "available"
    assert event["operator"]["since"] == (then + timedelta(seconds=30)).isoformat()
    # and a second run finds nothing
    assert end_run_out_wrap_ups() == 0


def test_ready_ends_wrap_up_early(helpline, operator) -> None:
    # given an operator in a two-minute wrap-up
    on_duty(operator)
    start_conversation(user=operator, activity="call", case=CaseFactory(helpline=helpline))
    end_conversation(user=operator)
    assert available_operators(helpline) == []

    # when they press Ready
    choose_state(user=operator, state=State.AVAILABLE)

    # then
    assert available_operators(helpline) == [operator]
    assert OperatorState.objects.get(user=operator).until is None


def test_an_operator_who_went_away_during_a_call_stays_away_after_it(helpline, operator) -> None:
    on_duty(operator)
    start_conversation(user=operator, activity="call", case=CaseFactory(helpline=helpline))
    choose_state(user=operator, state=State.AWAY)
    end_conversation(user=operator)
    assert state_of(operator) == State.AWAY


def test_only_available_staff_on_duty_of_the_helpline_are_offered_anything(
    helpline, other_helpline, operator, supervisor, other_operator, cso_rep
) -> None:
    # given everyone said available, then some went off duty or were disabled
    longest = timezone.now() - timedelta(minutes=5)
    for user in (operator, supervisor, other_operator):
        choose_state(user=user, state=State.AVAILABLE)
    OperatorState.objects.filter(user=supervisor).update(since=longest)
    off = StaffFactory(organisation=helpline)
    choose_state(user=off, state=State.AVAILABLE)
    User.objects.filter(pk=off.pk).update(on_duty=False)
    gone = StaffFactory(organisation=helpline)
    choose_state(user=gone, state=State.AVAILABLE)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    busy = StaffFactory(organisation=helpline)
    choose_state(user=busy, state=State.AVAILABLE)
    start_conversation(user=busy, activity="call", case=CaseFactory(helpline=helpline))

    # then: this helpline's, on duty, active, available; longest waiting first
    assert available_operators(helpline) == [supervisor, operator]
    assert available_operators(other_helpline) == [other_operator]


def test_with_phone_leaves_out_operators_without_one(helpline, operator) -> None:
    choose_state(user=operator, state=State.AVAILABLE)
    User.objects.filter(pk=operator.pk).update(phone="")
    assert available_operators(helpline, with_phone=True) == []


def test_the_team_view_reads_everyones_state_as_shown(helpline, operator, supervisor) -> None:
    # given an operator whose wrap-up ran out and a supervisor who never chose
    on_duty(operator)
    start_conversation(user=operator, activity="call", case=CaseFactory(helpline=helpline))
    then = timezone.now() - timedelta(hours=1)
    end_conversation(user=operator, now=then)

    # then
    states = {s["username"]: s for s in helpline_states(helpline.pk)}
    assert states["amina"]["state"] == "available"
    assert states["amina"]["until"] is None
    assert states["amina"]["activity"] == ""
    assert states["joan"]["state"] == "away"


def test_an_available_row_of_someone_off_duty_shows_away(helpline, operator) -> None:
    # (a duty change made elsewhere, such as the alerts settings' own switch)
    choose_state(user=operator, state=State.AVAILABLE)
    User.objects.filter(pk=operator.pk).update(on_duty=False)
    assert {s["username"]: s["state"] for s in helpline_states(helpline.pk)}["amina"] == "away"
    assert available_operators(helpline) == []


def test_nothing_is_pushed_when_the_change_rolls_back(
    operator, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    from django.db import transaction

    def change_then_fail() -> None:
        with transaction.atomic():
            choose_state(user=operator, state=State.AVAILABLE)
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        change_then_fail()
    assert callbacks == []
    assert captured_broadcasts == []
    assert state_of(operator) == State.AWAY


@pytest.mark.django_db(transaction=True)
def test_two_changes_at_once_apply_one_after_the_other(require_postgresql, helpline) -> None:
    """PostgreSQL (real row locks): the operator presses Away while the end of her call is being
    recorded. The call's end waits for the Away to commit, then sees it and keeps her away; read
    without the lock it would have put her in wrap-up, and routing would offer her calls."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, transaction

    operator = on_duty(StaffFactory(organisation=helpline))
    start_conversation(user=operator, activity="call", case=CaseFactory(helpline=helpline))
    away_holds_the_row = threading.Event()

    def press_away() -> None:
        try:
            with transaction.atomic():
                choose_state(user=operator, state=State.AWAY)
                away_holds_the_row.set()
                time.sleep(0.5)
        finally:
            connection.close()

    def call_ends() -> float:
        try:
            away_holds_the_row.wait(5)
            started = time.monotonic()
            end_conversation(user=operator)
            return time.monotonic() - started
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        away = pool.submit(press_away)
        waited = pool.submit(call_ends).result()
        away.result()

    assert waited >= 0.3  # it waited for the lock
    assert OperatorState.objects.get(user=operator).state == State.AWAY
    assert available_operators(helpline) == []


def test_state_of_someone_off_duty_is_away_as_routing_sees_it(operator) -> None:
    # (what chat asks before letting an operator take a chat)
    choose_state(user=operator, state=State.AVAILABLE)
    assert state_of(operator) == State.AVAILABLE
    User.objects.filter(pk=operator.pk).update(on_duty=False)
    operator.refresh_from_db()
    assert state_of(operator) == State.AWAY
