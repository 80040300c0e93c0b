"""When a subject access request must be answered (UK GDPR art. 12(3), the ICO's guidance): one
calendar month from the day it was received, the same day number next month or, when next month
is shorter, its last day (31 January -> 28 or 29 February); a date that falls on a weekend or an
England and Wales bank holiday moves to the next working day.

Dates only, never datetimes: a request received at 00:30 on the day the clocks change is still
received on that calendar day (C-9), so the due date cannot drift by a day across DST."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    # England and Wales: the helplines this serves; "observed" days (a Christmas on a Saturday
    # moves to the Monday) are included, as they are days off.
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def one_calendar_month_after(received: date) -> date:
    """The same day number next month, or next month's last day when it has fewer days."""
    year, month = (
        (received.year + 1, 1) if received.month == 12 else (received.year, received.month + 1)
    )
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(received.day, last))


def due_date(received: date) -> date:
    """The day the answer is due: a calendar month after `received`, on a working day."""
    due = one_calendar_month_after(received)
    while not is_working_day(due):
        due += timedelta(days=1)
    return due
