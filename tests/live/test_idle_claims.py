"""Claims left idle (UX.md 3, live.idle_claims): the holder is warned once, then the case goes back
to the queue with a system release; the holder's own work, or a live call or chat on that very
case, keeps it. Times are explicit `now`s, not the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, CaseNote, Draft
from live.idle_claims import RETURNED, WARNED, warn_and_return_idle_claims
from live.presence import end_conversation, start_conversation
from live.tasks import return_idle_claims
from notifications.models import Notification
from tests.factories import CaseFactory
from triage.services import claim_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _minutes(settings) -> None:
    settings.CLAIM_IDLE_WARN_MINUTES = 20
    settings.CLAIM_IDLE_RETURN_MINUTES = 30


def claimed(helpline, operator, *, minutes_ago: int) -> Case:
    case = claim_case(case=CaseFactory(helpline=helpline), actor=operator)
    then = timezone.now() - timedelta(minutes=minutes_ago)
    # the claim's own time and its history row, as if claimed then
    Case.objects.filter(pk=case.pk).update(claimed_at=then)
    case.history.filter(history_user=operator).update(history_date=then)
    case.refresh_from_db()
    return case


def warnings(case: Case) -> list[Notification]:
    return list(Notification.objects.filter(kind=WARNED, case_number=case.number, channel="in_app"))


def test_a_claim_idle_past_the_warning_warns_its_holder_once(
    helpline, operator, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    # given a case claimed 21 minutes ago and not touched since
    case = claimed(helpline, operator, minutes_ago=21)

    # when the job runs twice
    first = warn_and_return_idle_claims()
    second = warn_and_return_idle_claims()

    # then one warning, to the holder, with the case number only; the case stays theirs
    assert (first.warned, first.returned) == ([case.number], [])
    assert (second.warned, second.returned) == ([], [])
    [warning] = warnings(case)
    assert warning.recipient == operator
    assert (
        warning.text == f"{case.number} goes back to the queue in 10 minutes unless you work on it"
    )
    case.refresh_from_db()
    assert (case.status, case.claimed_by) == (Case.Status.IN_TRIAGE, operator)


def test_not_before_the_warning_time(helpline, operator) -> None:
    case = claimed(helpline, operator, minutes_ago=19)
    assert warn_and_return_idle_claims().warned == []
    assert warnings(case) == []


def test_after_the_return_time_a_warned_claim_goes_back_to_the_queue(
    helpline, operator, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    # given a claim warned at 20 minutes idle
    case = claimed(helpline, operator, minutes_ago=20)
    assert warn_and_return_idle_claims().warned == [case.number]

    # when the job runs at 30 minutes idle
    later = timezone.now() + timedelta(minutes=10)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = warn_and_return_idle_claims(now=later)

    # then it is back in the queue: a system release with the reason, the console told
    assert outcome.returned == [case.number]
    case.refresh_from_db()
    assert (case.status, case.claimed_by, case.claimed_at) == (Case.Status.NEW, None, None)
    change = case.history.latest()
    assert change.history_user is None
    assert change.history_change_reason == "Returned to the queue: idle 30 minutes"
    assert [e["type"] for _, e in captured_broadcasts if e["type"].startswith("case.")] == [
        "case.released"
    ]
    returned = Notification.objects.get(kind=RETURNED, channel="in_app")
    assert returned.recipient == operator
    assert returned.case_number == case.number
    # a second run has nothing to do
    assert warn_and_return_idle_claims(now=later) == type(outcome)([], [])


def test_never_returned_without_a_warning_first_and_its_grace(helpline, operator) -> None:
    # given a claim idle 45 minutes that was never warned (the job was down)
    case = claimed(helpline, operator, minutes_ago=45)

    # when the job runs: warned now, not returned
    assert warn_and_return_idle_claims().returned == []
    # nor five minutes later: the holder has ten minutes from the warning
    assert warn_and_return_idle_claims(now=timezone.now() + timedelta(minutes=5)).returned == []
    # ten minutes later it goes
    assert warn_and_return_idle_claims(now=timezone.now() + timedelta(minutes=10)).returned == [
        case.number
    ]


@pytest.mark.parametrize("work", ["note", "draft", "change", "view"])
def test_the_holders_own_work_after_the_warning_keeps_the_claim(
    helpline, operator, otp_client, work
) -> None:
    # given a warned claim
    case = claimed(helpline, operator, minutes_ago=25)
    assert warn_and_return_idle_claims().warned == [case.number]

    # when the holder works on it
    if work == "note":
        CaseNote.objects.create(case=case, organisation=helpline, author=operator, text="Made up")
    elif work == "draft":
        Draft.objects.create(user=operator, form="verify", case=case, data={"x": "made up"})
    elif work == "change":
        case.priority = Case.Priority.HIGH
        case._history_user = operator  # type: ignore[attr-defined]
        case.save(update_fields=["priority", "updated_at"])
    else:
        assert otp_client(operator).get(f"/cases/{case.number}/").status_code == 200

    # then at the return time it stays theirs, and idle counts again from that work
    later = timezone.now() + timedelta(minutes=10)
    assert warn_and_return_idle_claims(now=later) == type(warn_and_return_idle_claims())([], [])
    case.refresh_from_db()
    assert case.claimed_by == operator
    # 20 minutes after the work: warned again (a new idle spell), not returned
    assert warn_and_return_idle_claims(now=timezone.now() + timedelta(minutes=21)).warned == [
        case.number
    ]
    assert len(warnings(case)) == 2


def test_someone_elses_work_does_not_count(helpline, operator, supervisor) -> None:
    case = claimed(helpline, operator, minutes_ago=25)
    CaseNote.objects.create(case=case, organisation=helpline, author=supervisor, text="Made up")
    assert warn_and_return_idle_claims().warned == [case.number]


def test_a_holder_busy_in_a_call_on_that_case_is_never_warned_nor_returned(
    helpline, operator
) -> None:
    # given a warned claim whose holder then takes a call on it
    case = claimed(helpline, operator, minutes_ago=25)
    assert warn_and_return_idle_claims().warned == [case.number]
    start_conversation(user=operator, activity="call", case=case)
    # the call's start is no save to the case; an hour on the phone is not idle
    later = timezone.now() + timedelta(hours=1)

    # then
    assert warn_and_return_idle_claims(now=later) == type(warn_and_return_idle_claims())([], [])
    case.refresh_from_db()
    assert case.claimed_by == operator


def test_busy_on_another_case_does_not_protect_this_one(helpline, operator) -> None:
    case = claimed(helpline, operator, minutes_ago=25)
    start_conversation(user=operator, activity="chat", case=CaseFactory(helpline=helpline))
    assert warn_and_return_idle_claims().warned == [case.number]


def test_the_end_of_a_conversation_on_the_case_counts_as_activity(helpline, operator) -> None:
    # given a claim idle 25 minutes whose holder has just finished a chat on it
    case = claimed(helpline, operator, minutes_ago=25)
    start_conversation(user=operator, activity="chat", case=case)
    end_conversation(user=operator)

    # then while in its wrap-up, nothing
    assert warn_and_return_idle_claims().warned == []


def test_the_scheduled_task_runs_the_job(helpline, operator) -> None:
    claimed(helpline, operator, minutes_ago=21)
    assert return_idle_claims.delay().get() == 1


def test_switched_off_with_zero_minutes(helpline, operator, settings) -> None:
    settings.CLAIM_IDLE_RETURN_MINUTES = 0
    claimed(helpline, operator, minutes_ago=120)
    assert warn_and_return_idle_claims().warned == []
