"""Roll-ups: the snapshot report's figures kept per local day (dashboards.models.RollupCell), so a
year's report adds up a few thousand rows instead of counting a million cases.

Exact, not close: a cell counts the cases of one day that share every value a report groups or
filters by, and times are kept as histograms of whole seconds, so the median and 90th percentile
rolled up from them equal percentile_cont over the same whole seconds (dashboards.reports
measures times in whole seconds on both paths for that reason). A report reads only the whole
seconds its percentiles need, found through coarser counts of the same times
(dashboards.histograms).

Always current: the cells cover the days `RollupCoverage` names (built by `rebuild_rollups` and
kept up by the job: dashboards.rollup_builds); a change to a case, a referral or a service marks its day
dirty through a database trigger (migration 0002), and a report counts from the cases themselves
the days that are dirty, not covered, or cut by the period's bounds (today, at least). Both
halves become the same cells (`cells`), so they add up.

The cells hold what the report filters by only for some filters (FILTER_COLUMNS) and only for
roles whose reach is a helpline or everything (`_reach`); any other report is counted from the
cases (reports.snapshot), with the same figures in the same shape.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connections, transaction
from django.db.models import BigIntegerField, Count, F, Func, Q, QuerySet, Sum, When
from django.db.models import Case as SqlCase
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Organisation
from cases.filters import CaseFilter
from cases.models import Case
from cases.policy import AnyUser
from dashboards.histograms import BUCKET, PERCENTILES, percentile, read_times
from dashboards.models import DirtyDay, RollupCell, RollupCoverage
from referrals.models import Referral

DIMENSIONS = ("helpline_id", "channel", "status", "priority", "risk_level", "discard_reason_id")
# The report filters a cell holds (filter: column); a report using any other is counted raw.
FILTER_COLUMNS = {
    "status": "status",
    "channel": "channel",
    "priority": "priority",
    "risk": "risk_level",
}
PERIOD_FILTERS = frozenset({"created_after", "created_before"})
# Times of a case: (start field, end field); a referral's is "referral_acceptance".
CASE_SPANS = {
    "first_contact": ("created_at", "first_claimed_at"),
    "closure": ("created_at", "closed_at"),
}
ACCEPTED = (Referral.Status.ACCEPTED, Referral.Status.COMPLETED)
SPANS = (*CASE_SPANS, "referral_acceptance")
COARSE = {name: f"{name}~{BUCKET}" for name in SPANS}  # dashboards.histograms


class WholeSeconds(Func):
    """The whole seconds (rounded down) from the start field to the end field: the unit every
    report time is measured in, on both databases."""

    output_field = BigIntegerField()

    def __init__(self, start: str, end: str) -> None:
        super().__init__(F(end), F(start))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)))::bigint"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # django_timestamp_diff gives microseconds; SQLite's "/" truncates, so floor by hand
        micro = "django_timestamp_diff(%(expressions)s)"
        template = (
            f"CASE WHEN {micro} >= 0 THEN {micro} / 1000000"
            f" ELSE -((999999 - {micro}) / 1000000) END"
        )
        return self.as_sql(compiler, connection, template=template, arg_joiner=", ", **extra)


@dataclass
class Tally:
    """What a report's figures are made from, whichever way they were counted."""

    by_day: Counter = field(default_factory=Counter)
    by_channel: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    by_reason: Counter = field(default_factory=Counter)
    by_risk: Counter = field(default_factory=Counter)
    referrals: Counter = field(default_factory=Counter)  # by referral status
    services: Counter = field(default_factory=Counter)  # by service type id
    histograms: dict[str, Counter] = field(default_factory=lambda: {s: Counter() for s in SPANS})

    def add_cases(
        self, day: date, channel: str, status: str, reason: Any, risk: str, n: int
    ) -> None:
        self.by_day[day] += n
        self.by_channel[channel] += n
        self.by_status[status] += n
        self.by_risk[risk] += n
        if status == Case.Status.DISCARDED and reason is not None:
            self.by_reason[reason] += n

    def add(self, measure: str, value: Any, n: int) -> None:
        """A cell of any measure but "case"."""
        if measure == "service":
            self.services[value] += n
        elif measure.startswith("referral:"):
            self.referrals[measure.removeprefix("referral:")] += n
        else:
            self.histograms[measure][value] += n

    def times(self) -> dict[str, dict[str, int | None]]:
        return {
            name: {
                "count": sum(histogram.values()),
                **{key: percentile(histogram, f) for key, f in PERCENTILES.items()},
            }
            for name, histogram in self.histograms.items()
        }


# Cells ---------------------------------------------------------------------------------------------


def cells(cases: QuerySet[Case], ranges: list[Q] | None = None) -> Iterator[tuple[Any, ...]]:
    """The cells of these cases (those in any of `ranges` of created_at, if given): (day,
    *DIMENSIONS, measure, value, n). Three GROUP BY queries: the cases by their two times, their
    referrals by status and time to acceptance, their services by type; the roll-up stores the
    cells, a report adds those of its raw days to the stored ones."""
    # Each range is its own branch of a UNION ALL: PostgreSQL estimates one range right, but an
    # OR of them a hundredfold too high, and then scans every referral or starts parallel workers.
    parts = [cases] if ranges is None else [cases.filter(gap) for gap in ranges]

    def each(query: Callable[[QuerySet[Case]], QuerySet]) -> QuerySet:
        queries = [query(part) for part in parts]
        return queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]

    made: Counter = Counter()
    for *key, first_contact, closure, n in each(_case_cells):
        made[(*key, "case", None)] += n
        for name, value in (("first_contact", first_contact), ("closure", closure)):
            if value is not None:
                made[(*key, name, value)] += n
    for *key, status, value, n in each(_referral_cells):
        made[(*key, f"referral:{status}", None)] += n
        if value is not None:
            made[(*key, "referral_acceptance", value)] += n
    for *key, service_type, n in each(_service_cells):
        made[(*key, "service", service_type)] += n
    for key, n in made.items():
        yield (*key, n)


def _case_cells(cases: QuerySet[Case]) -> QuerySet:
    spans = {name: WholeSeconds(start, end) for name, (start, end) in CASE_SPANS.items()}
    rows = cases.annotate(day=TruncDate("created_at"), **spans)
    return rows.values_list("day", *DIMENSIONS, *spans).annotate(n=Count("pk"))


def _referral_cells(cases: QuerySet[Case]) -> QuerySet:
    """A referral in its case's cell: read from the cases joined to their referrals, one probe of
    the referrals' case index per case (an IN over the cases would look each case up again)."""
    accepted = Q(referrals__status__in=ACCEPTED, referrals__responded_at__isnull=False)
    waited = WholeSeconds("referrals__created_at", "referrals__responded_at")
    rows = cases.annotate(day=TruncDate("created_at"), value=SqlCase(When(accepted, then=waited)))
    rows = rows.values_list("day", *DIMENSIONS, "referrals__status", "value")
    return rows.annotate(n=Count("referrals")).filter(n__gt=0)


def _service_cells(cases: QuerySet[Case]) -> QuerySet:
    rows = cases.annotate(day=TruncDate("created_at"))
    rows = rows.values_list("day", *DIMENSIONS, "services__service_type_id")
    return rows.annotate(n=Count("services")).filter(n__gt=0)


def fold(rows: Iterable[tuple[Any, ...]], tally: Tally) -> Tally:
    """Cells (as `cells` yields them) added to a tally."""
    for day, _, channel, status, _, risk, reason, measure, value, n in rows:
        if measure == "case":
            tally.add_cases(day, channel, status, reason, risk, n)
        else:
            tally.add(measure, value, n)
    return tally


# Days ------------------------------------------------------------------------------------------


def midnight(day: date) -> datetime:
    """When a local day begins (Europe/London: a DST day is 23 or 25 hours to the next one)."""
    return timezone.make_aware(datetime.combine(day, time()))


def local_days(utc_day: date) -> set[date]:
    """The local days a UTC date's 24 hours fall on."""
    start = datetime.combine(utc_day, time(), tzinfo=UTC)
    ends = (start, start + timedelta(days=1) - timedelta(microseconds=1))
    return set(days_between(*(timezone.localdate(moment) for moment in ends)))


def days_between(first: date, last: date) -> Iterator[date]:
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)


def runs_of(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


# Reading -------------------------------------------------------------------------------------------


def tally(user: AnyUser, filters: Mapping[str, str], cases: QuerySet[Case]) -> Tally | None:
    """The report's tally from the cells where they can answer it, `cases` (the report's own,
    filtered and reached) counted for the rest; None when the cells cannot answer it at all."""
    reach = _reach(user)
    if reach is None or set(filters) - PERIOD_FILTERS - set(FILTER_COLUMNS):
        return None
    coverage = RollupCoverage.objects.first()
    if coverage is None:
        return None
    after, before = _bounds(filters)
    first = coverage.first_day
    if after is not None:  # the first day that begins at or after the bound
        day = timezone.localdate(after)
        first = max(first, day if midnight(day) >= after else day + timedelta(days=1))
    last = coverage.last_day
    if before is not None:  # the last day that ends by the bound (it is exclusive)
        last = min(last, timezone.localdate(before) - timedelta(days=1))
    dirty = {
        day
        for utc in DirtyDay.objects.values_list("day", flat=True).distinct()
        for day in local_days(utc)
    }
    runs = runs_of(day for day in days_between(first, last) if day not in dirty)
    result = Tally()
    if not runs:
        return fold(cells(cases), result)
    with _serially(cases.db):  # the raw days first: their times count in finding the buckets
        fold(cells(cases, _gaps(runs)), result)
    _read_cells(result, runs, reach, filters)
    return result


@contextmanager
def _serially(alias: str) -> Iterator[None]:
    """The days counted raw beside the cells are a few thousand cases (today, a cut first day):
    PostgreSQL's parallel workers cost more to start than they save there (10-20 ms measured on
    bench/dashboard.py's year), so the queries for them run without."""
    if connections[alias].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


def _read_cells(
    result: Tally, runs: list[tuple[date, date]], reach: Q, filters: Mapping[str, str]
) -> None:
    days = Q()
    for first, last in runs:
        days |= Q(day__range=(first, last))
    wanted = {
        FILTER_COLUMNS[name]: value for name, value in filters.items() if name in FILTER_COLUMNS
    }
    stored = (
        RollupCell.objects.filter(days, reach, **wanted)
        .exclude(status=Case.Status.MERGED)
        .order_by()
    )
    counts = stored.filter(measure="case").values_list(
        "day", "channel", "status", "discard_reason_id", "risk_level"
    )
    for day, channel, status, reason, risk, n in counts.annotate(total=Sum("n")):
        result.add_cases(day, channel, status, reason, risk, n)
    others = stored.filter(measure__in=["service", *(f"referral:{s}" for s in Referral.Status)])
    for measure, value, n in others.values_list("measure", "value").annotate(total=Sum("n")):
        result.add(measure, value, n)
    read_times(result.histograms, stored, COARSE)


def _gaps(runs: list[tuple[date, date]]) -> list[Q] | None:
    """The times outside the runs of days the cells answer for: before, between and after them
    (None: all of it)."""
    if not runs:
        return None
    gaps = [Q(created_at__lt=midnight(runs[0][0]))]
    for (_, last), (first, _) in zip(runs, runs[1:], strict=False):
        gaps.append(
            Q(created_at__gte=midnight(last + timedelta(days=1)), created_at__lt=midnight(first))
        )
    gaps.append(Q(created_at__gte=midnight(runs[-1][1] + timedelta(days=1))))
    return gaps


def _bounds(filters: Mapping[str, str]) -> tuple[datetime | None, datetime | None]:
    """The period's bounds as the case list reads them (CaseFilter's own fields)."""
    form = CaseFilter(
        {k: filters[k] for k in PERIOD_FILTERS if k in filters}, queryset=Case.objects.none()
    ).form
    form.is_valid()
    return form.cleaned_data.get("created_after"), form.cleaned_data.get("created_before")


def _reach(user: AnyUser) -> Q | None:
    """The cells a user's figures count, as cases.policy.counted_cases reaches them: a monitor's
    every helpline, a helpline's staff their own. None (count raw) for anyone else, CSO staff
    among them: their reach is a set of referred cases, which no cell key holds."""
    organisation = getattr(user, "organisation", None)
    if not (user.is_active and organisation is not None and organisation.is_active):
        return None
    if not user.has_perm("cases.view_case"):
        return None
    if organisation.kind == Organisation.Kind.MONITOR:
        return Q()
    if organisation.kind == Organisation.Kind.HELPLINE:
        return Q(helpline_id=organisation.pk)
    return None
