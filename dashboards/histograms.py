"""Percentiles of the roll-up's whole-second histograms (dashboards.rollups), exactly as
percentile_cont gives them, reading as few stored cells as that takes."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

from django.db.models import QuerySet, Sum

from dashboards.models import RollupCell

PERCENTILES = {"p50_seconds": 0.5, "p90_seconds": 0.9}
# A stored histogram also has a coarse copy, counts per bucket of BUCKET seconds under its own
# measure: a report adds up those (an eighth of the cells on bench/dashboard.py's data) to find the
# buckets its percentiles' ranks fall in, and reads the whole seconds of those buckets only.
BUCKET = 600


def ranks(count: int, fraction: float) -> tuple[float, int, int]:
    """Where percentile_cont looks among `count` sorted values: the position, and the ranks (from
    0) of the two values around it."""
    position = fraction * (count - 1)
    low = math.floor(position)
    return position, low, min(low + 1, count - 1)


def percentile(histogram: Mapping[int, int], fraction: float) -> int | None:
    """percentile_cont over the values a histogram counts, rounded to a whole second: the two
    values around the rank, interpolated exactly as PostgreSQL does (first + (second - first) *
    proportion, in floating point), so the result is the same number."""
    count = sum(histogram.values())
    if not count:
        return None
    position, *around = ranks(count, fraction)
    low = around[0]
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < 2 and seen > around[len(found)]:
            found.append(value)
        if len(found) == 2:
            break
    first, second = found
    upper = second if position > low else first
    return round(first + (upper - first) * (position - low))


def read_times(
    histograms: dict[str, Counter], stored: QuerySet[RollupCell], named: Mapping[str, str]
) -> None:
    """The stored histograms, exactly where a percentile needs them: the coarse counts of every
    bucket, then the whole seconds of the buckets holding the ranks percentile_cont reads. Every
    other bucket goes into the histogram as its count at the bucket's first second: the counts,
    and so every rank, stay exact, and the values at the ranks read are the whole seconds.
    `histograms` already holds the days counted raw, which count in finding the buckets."""
    coarse_of = {coarse: name for name, coarse in named.items()}
    coarse = {name: Counter() for name in histograms}
    rows = stored.filter(measure__in=coarse_of).values_list("measure", "value")
    for measure, bucket, n in rows.annotate(total=Sum("n")):
        coarse[coarse_of[measure]][bucket] += n
    exact = []
    for name, histogram in histograms.items():
        counts = coarse[name] + Counter()
        for value, n in histogram.items():  # the raw days' whole seconds, already in
            counts[value // BUCKET] += n
        needed = _buckets_at_ranks(counts)
        for bucket in needed:
            low = bucket * BUCKET
            exact.append(stored.filter(measure=name, value__gte=low, value__lt=low + BUCKET))
        for bucket, n in coarse[name].items():
            if bucket not in needed:
                histogram[bucket * BUCKET] += n
    # a UNION ALL, not an OR: each bucket is then read from the index alone
    sums = [part.values_list("measure", "value").annotate(total=Sum("n")) for part in exact]
    for measure, value, n in sums[0].union(*sums[1:], all=True) if sums else ():
        histograms[measure][value] += n


def _buckets_at_ranks(counts: Counter) -> set[int]:
    """The buckets holding the values every percentile of a report reads."""
    total = sum(counts.values())
    if not total:
        return set()
    wanted = sorted({rank for f in PERCENTILES.values() for rank in ranks(total, f)[1:]})
    found: set[int] = set()
    seen = 0
    for bucket in sorted(counts):
        seen += counts[bucket]
        while wanted and wanted[0] < seen:
            found.add(bucket)
            wanted.pop(0)
    return found
