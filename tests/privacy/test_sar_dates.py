"""When a subject access request is due (SECURITY DP-10, C-9): a calendar month after it was
received, rolled to the next working day (weekends, England and Wales bank holidays)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from privacy.models import SubjectAccessRequest
from privacy.sar import open_subject_access_request
from privacy.sar_dates import due_date, is_working_day, one_calendar_month_after
from tests.factories import PersonFactory

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # a plain month, landing on a weekday
        ("2026-09-07", "2026-10-07"),
        # 31 January: next month has no 31st, so its last day; 28 Feb 2026 is a Saturday
        ("2026-01-31", "2026-03-02"),
        # a leap year: 29 February (a Tuesday)
        ("2028-01-31", "2028-02-29"),
        ("2028-02-29", "2028-03-29"),
        # 31 March -> 30 April
        ("2026-03-31", "2026-04-30"),
        # a Saturday
        ("2026-02-28", "2026-03-30"),
        # across the year's end, onto a Sunday
        ("2026-12-31", "2027-02-01"),
        # Good Friday, then the weekend, then Easter Monday
        ("2026-03-03", "2026-04-07"),
        # the early May bank holiday
        ("2026-04-04", "2026-05-05"),
        # the late summer bank holiday
        ("2026-07-31", "2026-09-01"),
        # Christmas on a Friday, Boxing Day on Saturday observed on Monday 28th
        ("2026-11-25", "2026-12-29"),
        # Christmas and Boxing Day on a weekend: both observed on the Monday and Tuesday
        ("2027-11-25", "2027-12-29"),
        # the days the clocks change (Sunday 29 March, Sunday 25 October 2026)
        ("2026-03-29", "2026-04-29"),
        ("2026-10-25", "2026-11-25"),
    ],
)
def test_due_date_table(received: str, due: str) -> None:
    assert due_date(date.fromisoformat(received)) == date.fromisoformat(due)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2098, 12, 31)))
def test_due_date_properties(received: date) -> None:
    due = due_date(received)
    plain = one_calendar_month_after(received)
    assert due >= received + timedelta(days=28)
    assert is_working_day(due)
    # at most a weekend and two bank holidays in a row (Christmas) move it on
    assert timedelta(0) <= due - plain < timedelta(days=5)
    assert all(not is_working_day(plain + timedelta(days=n)) for n in range((due - plain).days))
    # the same day number, or the last day of a shorter month
    assert plain.day == received.day or (plain + timedelta(days=1)).day == 1 < received.day


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("moment", "received"),
    [
        # a minute before the clocks go forward (00:59 GMT), and just after (02:00 BST)
        (datetime(2026, 3, 29, 0, 59, tzinfo=LONDON), "2026-03-29"),
        (datetime(2026, 3, 29, 2, 0, tzinfo=LONDON), "2026-03-29"),
        # the last minute of summer time, and half an hour after midnight in summer time (still
        # the day before in UTC)
        (datetime(2026, 10, 25, 1, 59, tzinfo=LONDON), "2026-10-25"),
        (datetime(2026, 6, 1, 0, 30, tzinfo=LONDON), "2026-06-01"),
    ],
)
def test_received_today_is_the_local_calendar_day(dpo, moment: datetime, received: str) -> None:
    # given
    person = PersonFactory()
    # when
    with time_machine.travel(moment, tick=False):
        request = open_subject_access_request(
            person_id=person.pk, received_on=timezone.localdate(), actor=dpo
        )
    # then
    request.refresh_from_db()
    assert request.received_on == date.fromisoformat(received)
    assert request.due_on == due_date(request.received_on)
    assert request.status == SubjectAccessRequest.Status.OPEN
