"""Building the reports' roll-up (dashboards.rollups): every day at once (`rebuild`, the
rebuild_rollups command), and the periodic job (`refresh`) that rebuilds the days whose cases
changed and extends the cover to yesterday."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from cases.models import Case
from dashboards.models import DirtyDay, RollupCell, RollupCoverage
from dashboards.rollups import (
    BUCKET,
    COARSE,
    DIMENSIONS,
    cells,
    days_between,
    local_days,
    midnight,
    runs_of,
)

BATCH_DAYS = 31  # days built per transaction by rebuild


def cases_of(first: date, last: date) -> QuerySet[Case]:
    return Case.objects.filter(
        created_at__gte=midnight(first), created_at__lt=midnight(last + timedelta(days=1))
    )


def build(first: date, last: date) -> int:
    """The cells of these local days, made again from their cases (in the caller's transaction)."""
    RollupCell.objects.filter(day__range=(first, last)).delete()
    rows = list(cells(cases_of(first, last).order_by()))
    made = [
        RollupCell(**dict(zip(("day", *DIMENSIONS, "measure", "value", "n"), row, strict=True)))
        for row in (*rows, *coarse(rows))
    ]
    RollupCell.objects.bulk_create(made, batch_size=5000)
    return len(made)


def coarse(rows: Iterable[tuple]) -> Iterator[tuple]:
    """The histograms' cells counted again by bucket (dashboards.rollups.COARSE), in the same
    key: a report finds its percentiles' buckets from these."""
    made: Counter = Counter()
    for *key, measure, value, n in rows:
        if measure in COARSE:
            made[(*key, COARSE[measure], value // BUCKET)] += n
    for key, n in made.items():
        yield (*key, n)


def rebuild(
    since: date | None = None, today: date | None = None
) -> tuple[int, RollupCoverage | None]:
    """Build every day from `since` (the first case's day) to yesterday, a month per transaction,
    and cover them (with the days covered before, if they join up). Safe while cases are written:
    a write a batch misses leaves its mark, so reports count its day raw until `refresh`."""
    yesterday = (today or timezone.localdate()) - timedelta(days=1)
    if since is None:
        first_case = (
            Case.objects.order_by("created_at").values_list("created_at", flat=True).first()
        )
        since = timezone.localdate(first_case) if first_case else yesterday
    # Marks of the days about to be built are moot: deleted first, so a write still in flight
    # keeps its mark (the DELETE does not see it) and the days stay counted raw until refresh.
    DirtyDay.objects.filter(day__gt=since).delete()
    made = 0
    for first, last in _batches(since, yesterday):
        with transaction.atomic():
            made += build(first, last)
    with transaction.atomic():
        before = RollupCoverage.objects.select_for_update().first()
        RollupCoverage.objects.all().delete()
        if since > yesterday:
            return made, None
        first_day = since
        if before is not None and before.first_day <= since <= before.last_day + timedelta(days=1):
            first_day = before.first_day
        RollupCell.objects.filter(day__lt=first_day).delete()
        return made, RollupCoverage.objects.create(first_day=first_day, last_day=yesterday)


def _batches(first: date, last: date) -> Iterator[tuple[date, date]]:
    while first <= last:
        end = min(first + timedelta(days=BATCH_DAYS - 1), last)
        yield first, end
        first = end + timedelta(days=1)


@transaction.atomic
def refresh(today: date | None = None) -> int:
    """The periodic job: rebuild the covered days whose cases changed, and extend the cover to
    yesterday. The marks are deleted first: one a writer has not committed yet is not seen by the
    DELETE, so it survives for the next run, while the rebuild sees every write that committed
    its mark before. Does nothing until rebuild_rollups has built the cells once."""
    coverage = RollupCoverage.objects.select_for_update().first()
    if coverage is None:
        return 0
    yesterday = (today or timezone.localdate()) - timedelta(days=1)
    stale = {day for utc in _take_marks() for day in local_days(utc)}
    stale |= set(days_between(coverage.last_day + timedelta(days=1), yesterday))
    stale = {day for day in stale if coverage.first_day <= day <= yesterday}
    made = sum(build(first, last) for first, last in runs_of(stale))
    if yesterday > coverage.last_day:
        coverage.last_day = yesterday
        coverage.save(update_fields=["last_day"])
    return made


def _take_marks() -> set[date]:
    """Delete the marks, and the days they named, in one statement (no mark can slip between a
    read and a delete). SQLite has RETURNING since 3.35."""
    table = connection.ops.quote_name(DirtyDay._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} RETURNING day")  # noqa: S608 (no outside input)
        day = DirtyDay._meta.get_field("day")
        return {day.to_python(value) for (value,) in cursor.fetchall()}
