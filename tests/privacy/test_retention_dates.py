"""Retention dates follow the local calendar (SECURITY C-9): a period ending on 2026-10-25, the
day Europe/London leaves summer time, ends at that date's local midnight, not 24-hour steps from
the closing, and not at UTC midnight."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import Case
from privacy import retention
from privacy.models import Category, RetentionRule
from privacy.retention_sweep import sweep
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def test_a_period_ending_on_the_autumn_clock_change_ends_on_that_date(settings) -> None:
    settings.TIME_ZONE = "Europe/London"
    # closed at 00:30 local on 25 Oct 2025 (23:30 UTC on the 24th): 365 days later is 25 Oct 2026
    closed_at = datetime(2025, 10, 25, 0, 30, tzinfo=LONDON)
    assert retention.kept_until(closed_at, 365) == date(2026, 10, 25)

    late_on_the_24th = datetime(2026, 10, 24, 23, 59, tzinfo=LONDON)  # BST, 22:59 UTC
    first_minute = datetime(2026, 10, 25, 0, 0, tzinfo=LONDON)  # 23:00 UTC on the 24th
    assert not closed_at < retention.cutoff(365, late_on_the_24th)
    assert closed_at < retention.cutoff(365, first_minute)
    # the hour repeated at 01:00-02:00 that night changes nothing
    assert retention.cutoff(365, datetime(2026, 10, 25, 1, 59, fold=1, tzinfo=LONDON)) == (
        retention.cutoff(365, first_minute)
    )


def test_the_sweep_removes_it_on_that_date_and_not_before(settings, supervisor) -> None:
    settings.TIME_ZONE = "Europe/London"
    RetentionRule.objects.filter(category=Category.CASE_CONTENT).update(days=365)
    case = CaseFactory(
        helpline=supervisor.organisation,
        status=Case.Status.CLOSED,
        closed_at=datetime(2025, 10, 25, 0, 30, tzinfo=LONDON),
        incident_description="Made-up",
    )
    with time_machine.travel(datetime(2026, 10, 24, 23, 59, tzinfo=LONDON), tick=False):
        assert sweep()[Category.CASE_CONTENT] == 0
    with time_machine.travel(datetime(2026, 10, 25, 0, 1, tzinfo=LONDON), tick=False):
        assert sweep()[Category.CASE_CONTENT] == 1
    case.refresh_from_db()
    assert case.incident_description == ""


def test_a_leap_day_closing_counts_calendar_days() -> None:
    closed_at = datetime(2028, 2, 29, 12, 0, tzinfo=LONDON)
    assert retention.kept_until(closed_at, 365) == date(2029, 2, 28)
