"""Snapshot reports: figures about the cases reported in a period that match the case list's filters
(cases.filters.CaseFilter, so the list, the API and the report read a URL the same way), counted
over the cases the user's role reaches, sealed ones included (cases.policy.counted_cases).

The figures describe that cohort of cases: their referrals, services and times, whenever those
happened. Everything is counted in the database by a handful of GROUP BY and percentile queries,
however many cases there are; Python only folds their result rows (one per day, channel, status
and discard reason at most), never the cases themselves.

Times are medians and 90th percentiles of whole seconds (rounded down per case: the unit the
roll-up's histograms keep, so both ways of counting give the same numbers). On PostgreSQL they are
`percentile_cont` aggregates. SQLite (the embedded set-up) has none: there the count comes from
COUNT and each percentile from the one or two rows at its rank (ORDER BY ... LIMIT 2 OFFSET k),
interpolated as percentile_cont does, so it stays a query per figure reading two rows.

Where it can, a report adds up the daily roll-up (dashboards.rollups) and counts only the days it
does not hold from the cases; the figures are the same either way (tests/dashboards/test_rollups).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Aggregate, Count, Expression, FloatField, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cases.filters import CaseFilter
from cases.models import Case, DiscardReason, RiskLevel, ServiceType
from cases.policy import (
    AnyUser,
    can_see_identities,
    can_view_figures,
    counted_cases,
    visible_cases,
)
from dashboards import rollups
from dashboards.rollups import Tally, WholeSeconds
from dashboards.suppression import AT_LEAST, USUALLY_EQUAL, Table, is_withheld
from dashboards.suppression import threshold as threshold_of
from referrals.models import Referral, ServiceRecord

DEFAULT_DAYS = 30
# The filters a report takes: the case list's, and nothing else a URL may carry (exports log them).
FILTER_NAMES = tuple(CaseFilter.base_filters)
S = Case.Status
# Past triage as genuine, whatever happened to the case since.
VERIFIED = (S.VERIFIED, S.REFERRED, S.IN_SERVICE, S.RESOLVED, S.CLOSED, S.ARCHIVED)
AWAITING = (S.NEW, S.IN_TRIAGE)
ACCEPTED = (Referral.Status.ACCEPTED, Referral.Status.COMPLETED)  # completed ones were accepted
COUNT_KEYS = frozenset({"count", "total"})
# A time measured on rows: (start field, end field, which rows; None: all)
Span = tuple[str, str, Q | None]


class InvalidFiltersError(ValueError):
    """The URL's filters do not parse; `errors` maps each filter to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = {name: list(messages) for name, messages in errors.items()}
        super().__init__("Invalid report filters.")


def report_filters(params: Mapping[str, Any]) -> dict[str, str]:
    """The filter values the report uses: the non-empty known ones, and the default period (the
    last DEFAULT_DAYS days) when it is not given. Unknown parameters are dropped."""
    given = {name: str(params.get(name) or "").strip() for name in FILTER_NAMES}
    filters = {name: value for name, value in given.items() if value}
    if "created_after" not in filters and "created_before" not in filters:
        start = timezone.localdate() - timedelta(days=DEFAULT_DAYS - 1)
        filters["created_after"] = start.isoformat()
    return filters


def filtered_cases(
    user: AnyUser, filters: Mapping[str, str], *, counting: bool = False
) -> QuerySet[Case]:
    """The cases the report lists (visible to the user) or, `counting`, counts (sealed ones too:
    cases.policy.counted_cases), matching the filters (else the error)."""
    if not can_view_figures(user):
        raise PermissionDenied("Reports are for supervisors and monitors.")
    base = counted_cases(user) if counting else visible_cases(user)
    filterset = CaseFilter(dict(filters), queryset=base)
    if not filterset.is_valid():
        raise InvalidFiltersError(filterset.errors)
    return filterset.qs.order_by()  # no ORDER BY, which would join every GROUP BY below


def shareable_only(user: AnyUser) -> bool:
    """Those who may not see who is in a case (monitors) see suppressed figures only."""
    return not can_see_identities(user)


def snapshot(user: AnyUser, filters: Mapping[str, Any], *, rollup: bool = True) -> dict[str, Any]:
    """Every figure of the report, unsuppressed (see suppress), from the roll-up where it can
    answer (and `rollup`), else from the cases. Raises PermissionDenied for users without
    cases.view_figures and InvalidFiltersError for filters that do not parse."""
    used = report_filters(filters)
    # a merged case is counted once, as the case it joined (its reports are there now)
    cases = filtered_cases(user, used, counting=True).exclude(status=S.MERGED)
    counted = rollups.tally(user, used, cases) if rollup else None
    if counted is None:
        counted, times = _raw_tally(cases)
    else:
        times = counted.times()
    return _figures(used, counted, times)


def _raw_tally(cases: QuerySet[Case]) -> tuple[Tally, dict[str, dict[str, Any]]]:
    """The report's counts and times from the cases themselves (percentile_cont aggregates)."""
    counted = Tally()
    for day, channel, status, reason, risk, n in _case_rows(cases):
        counted.add_cases(day, channel, status, reason, risk, n)
    _, case_times = _measure(
        cases,
        counts={},
        spans={
            "first_contact": ("created_at", "first_claimed_at", None),
            "closure": ("created_at", "closed_at", None),
        },
    )
    referral_counts, referral_times = _measure(
        Referral.objects.filter(case__in=cases.values("pk")).order_by(),
        counts={code: Q(status=code) for code in Referral.Status.values},
        spans={"referral_acceptance": ("created_at", "responded_at", Q(status__in=ACCEPTED))},
    )
    counted.referrals.update(referral_counts)
    counted.services.update(
        dict(
            ServiceRecord.objects.filter(case__in=cases.values("pk"))
            .order_by()
            .values_list("service_type_id")
            .annotate(n=Count("pk"))
        )
    )
    return counted, {**case_times, **referral_times}


def _figures(used: dict[str, str], counted: Tally, times: dict[str, Any]) -> dict[str, Any]:
    start, end = _period(used)
    by_day, by_channel, by_status = counted.by_day, counted.by_channel, counted.by_status
    return {
        "filters": used,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "incoming": {
            "total": sum(by_channel.values()),
            "by_day": [
                {"day": day.isoformat(), "count": by_day.get(day, 0)}
                for day in _days(start, end, by_day)
            ],
            "by_channel": [
                {"code": code, "label": label, "count": by_channel.get(code, 0)}
                for code, label in Case.Channel.choices
            ],
        },
        "triage": [
            {"code": "verified", "label": "Verified", "count": _sum(by_status, VERIFIED)},
            {"code": "discarded", "label": "Discarded", "count": by_status.get(S.DISCARDED, 0)},
            {"code": "awaiting", "label": "Not yet triaged", "count": _sum(by_status, AWAITING)},
        ],
        "discard_reasons": _labelled(DiscardReason, counted.by_reason),
        # the cases by their latest risk assessment, the highest first; "" not assessed yet
        "risk": [
            {
                "code": level or "not_assessed",
                "label": RiskLevel(level).label if level else "Not assessed",
                "count": counted.by_risk.get(level, 0),
            }
            for level in (RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.STANDARD, "")
        ],
        "referrals": [
            {"code": code, "label": label, "count": counted.referrals.get(code, 0)}
            for code, label in Referral.Status.choices
        ],
        "services": _labelled(ServiceType, counted.services),
        "times": times,
    }


def suppress(figures: Any, threshold: int | None = None) -> Any:
    """A copy of the figures fit to share (dashboards.suppression): every count from 1 to
    threshold - 1 becomes "<threshold" (zeros stay 0: an empty cell singles nobody out), and
    counts a total would give them away by are withheld too. A time whose count is withheld loses
    its percentiles, as the median of two cases is nearly each one's own time."""
    shared = copy.deepcopy(figures)
    table = Table(threshold_of(threshold))
    _count_cells(shared, table)
    if isinstance(shared, dict):
        _relate_snapshot(shared, table)
    table.apply()
    _drop_withheld_times(shared)
    return shared


def _count_cells(figures: Any, table: Table) -> None:
    items = figures.items() if isinstance(figures, dict) else enumerate(figures)
    for key, value in items:
        if key in COUNT_KEYS and isinstance(value, int) and not isinstance(value, bool):
            table.cell(figures, key)
        elif isinstance(value, dict | list):
            _count_cells(value, table)


def _relate_snapshot(figures: dict[str, Any], table: Table) -> None:
    """The sums a reader of the snapshot can check: every breakdown of the cases adds up to the
    total, discard reasons to the discarded, and times are measured on at most that many."""
    incoming = figures.get("incoming")
    if not isinstance(incoming, dict) or "total" not in incoming:
        return
    total = [table.cell(incoming, "total")]

    def counts(entries: Any, codes: tuple[str, ...] | None = None) -> list[Any]:
        return [
            table.cell(entry, "count")
            for entry in entries or []
            if codes is None or entry.get("code") in codes
        ]

    for breakdown in (
        incoming.get("by_channel"), incoming.get("by_day"), figures.get("triage"),
        figures.get("risk"),
    ):  # fmt: skip
        table.relate(total, counts(breakdown))
    table.relate(
        counts(figures.get("triage"), ("discarded",)),
        counts(figures.get("discard_reasons")),
        USUALLY_EQUAL,
    )
    times = figures.get("times") or {}
    for name in ("first_contact", "closure"):
        if name in times:
            table.relate(total, [table.cell(times[name], "count")], AT_LEAST)
    if "referral_acceptance" in times:
        accepted = counts(figures.get("referrals"), tuple(ACCEPTED))
        measured = [table.cell(times["referral_acceptance"], "count")]
        table.relate(accepted, measured, USUALLY_EQUAL)


def _drop_withheld_times(figures: Any) -> None:
    items = figures.items() if isinstance(figures, dict) else enumerate(figures)
    for _, value in list(items):
        if isinstance(value, dict | list):
            _drop_withheld_times(value)
    if isinstance(figures, dict) and is_withheld(figures.get("count")):
        figures.update({key: None for key in figures if key.endswith("_seconds")})


# Counting -----------------------------------------------------------------------------------------


def _case_rows(cases: QuerySet[Case]) -> QuerySet:
    """One pass over the period's cases (the case_snapshot index on PostgreSQL, which covers all
    but the risk level): counts by local day, channel, status, discard reason and risk level."""
    return (
        cases.annotate(day=TruncDate("created_at"))
        .values_list("day", "channel", "status", "discard_reason_id", "risk_level")
        .annotate(n=Count("pk"))
    )


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont of a time span in whole seconds."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Expression, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def _measure(
    rows: QuerySet, *, counts: Mapping[str, Q], spans: Mapping[str, Span]
) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
    """How many rows match each Q; and for each span (start field, end field, which rows) how
    many of those rows have an end, with the median and 90th percentile of end - start in
    whole seconds. One query on PostgreSQL; elsewhere each percentile adds a _rank query."""
    postgres = connection.vendor == "postgresql"
    aggregates: dict[str, Aggregate] = {name: Count("pk", filter=q) for name, q in counts.items()}
    for name, (start, end, which) in spans.items():
        aggregates[f"{name}__count"] = Count(end, filter=which)
        if postgres:
            aggregates[f"{name}__p50"] = Percentile(WholeSeconds(start, end), 0.5, filter=which)
            aggregates[f"{name}__p90"] = Percentile(WholeSeconds(start, end), 0.9, filter=which)
    result = rows.aggregate(**aggregates)
    times = {}
    for name, (start, end, which) in spans.items():
        count = result[f"{name}__count"]
        if postgres:
            p50, p90 = _round(result[f"{name}__p50"]), _round(result[f"{name}__p90"])
        else:
            ordered = (
                rows.filter(which or Q(), **{f"{end}__isnull": False})
                .annotate(span=WholeSeconds(start, end))
                .order_by("span")
                .values_list("span", flat=True)
            )
            p50, p90 = _rank(ordered, count, 0.5), _rank(ordered, count, 0.9)
        times[name] = {"count": count, "p50_seconds": p50, "p90_seconds": p90}
    return {name: result[name] for name in counts}, times


def _rank(ordered: QuerySet, count: int, fraction: float) -> int | None:
    """percentile_cont from the one or two rows around its rank (the SQLite fallback)."""
    if not count:
        return None
    position = fraction * (count - 1)
    low = math.floor(position)
    spans = list(ordered[low : low + 2])
    upper = spans[-1] if position > low else spans[0]
    return round(spans[0] + (upper - spans[0]) * (position - low))


def _round(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)


# Shaping ------------------------------------------------------------------------------------------


def _period(filters: Mapping[str, str]) -> tuple[date, date]:
    """The first and last local day the report covers (the last is today when open-ended)."""
    today = timezone.localdate()
    start = _local_day(filters.get("created_after"))
    end = _local_day(filters.get("created_before"), before=True) or today
    return start or end, end


def _local_day(value: str | None, *, before: bool = False) -> date | None:
    """The local day of a filter value ("2026-03-01" or an ISO time); `created_before` is
    exclusive, so a bound at midnight ends the report on the day before."""
    if not value:
        return None
    moment = parse_datetime(value) or datetime.fromisoformat(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if before:
        moment -= timedelta(microseconds=1)
    return timezone.localdate(moment)


def _days(start: date, end: date, counted: Mapping[date, int]) -> list[date]:
    """Every day of the period (days without reports are zeros in the chart, not gaps)."""
    first = min([start, *counted])
    last = max([end, *counted])
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _sum(counts: Mapping[str, int], keys: tuple[str, ...]) -> int:
    return sum(counts.get(key, 0) for key in keys)


def _labelled(model: type, counts: Mapping[int, int]) -> list[dict[str, Any]]:
    """A count for every entry of an admin-edited list: the active ones in their order, and
    retired ones only where they were used."""
    entries = model.objects.filter(is_active=True) | model.objects.filter(pk__in=list(counts))  # type: ignore[attr-defined]
    return [
        {"code": entry.code, "label": entry.label, "count": counts.get(entry.pk, 0)}
        for entry in entries.order_by("position", "label")
    ]
