"""Small-number suppression for every figure shared beyond a helpline's own supervisors: snapshot
reports (page, API, PDF, CSV/XLSX) and the live dashboard of monitors.

Primary suppression: a count from 1 to SMALL_NUMBER_THRESHOLD - 1 is shown as "<N" (a zero stays
0: an empty cell singles nobody out).

Secondary (complementary) suppression: a table's rows and columns come with totals, and a total
minus the visible cells would give back a suppressed count. So every sum the reader can see is a
Relation (a whole equals, or is at least, the sum of its parts), and an attacker is simulated: each
cell is bounded by what is shown (a visible number exactly, "<N" by 1..N-1, a withheld cell by 0
or N and above) and the bounds are narrowed through every relation until nothing changes (interval
propagation, which also follows chains: a total worked out from one table, then used in another),
and the relations are combined by linear algebra (two tables that together give a sum away). While
some "<N" cell is pinned to a single value, the smallest non-zero visible cell of the relation that
pinned it (or, failing that, of a relation linked to it through withheld cells) is withheld as
SECONDARY too; where nothing visible is left, a "<N" of that relation (its total first) is shown as
SECONDARY instead. This is the usual "suppress the next smallest cell, or the total" rule, checked
against every row and column at once rather than one at a time.

Who sees exact figures: a helpline's own supervisors, on its live dashboard and its snapshot (they
see the people in its cases anyway), unless they ask for shareable figures; everyone else, and
every export file, gets these (dashboards.reports.shareable_only).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

# What a withheld cell shows: not "<N", which would be untrue of a large count withheld only to
# protect a small one (the Office for National Statistics' mark for "confidential").
SECONDARY = "[c]"
_PRIMARY, _SECONDARY, _HIDDEN = "primary", "secondary", "hidden"


def threshold(limit: int | None = None) -> int:
    """SMALL_NUMBER_THRESHOLD, unless a caller gives its own."""
    return settings.SMALL_NUMBER_THRESHOLD if limit is None else limit


def is_withheld(value: Any) -> bool:
    """A count shown as "<N" or SECONDARY rather than as a number."""
    return isinstance(value, str)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# How a relation's two sides compare, as far as the reader knows.
EQUAL = "equal"  # a total and its breakdown: the reader knows they add up
AT_LEAST = "at least"  # e.g. times measured <= cases: the difference is unseen, from 0 up
USUALLY_EQUAL = "usually equal"  # equal as the rules go (every discard has a reason), not always


@dataclass
class Relation:
    """sum(whole) against sum(parts), each a list of cell handles. An unseen difference is a
    hidden cell the reader bounds by 0 and nothing else; USUALLY_EQUAL is taken as EQUAL whenever
    the real values are equal, as the reader may assume it. A relation the real values break tells
    the reader nothing and is left out."""

    whole: list[Hashable]
    parts: list[Hashable]
    kind: str = EQUAL


@dataclass
class Table:
    """The counts of one set of figures, each at a key: (container, key) in a nested structure of
    dicts and lists, written back with `apply`."""

    limit: int
    cells: dict[Hashable, tuple[Any, Any]] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)

    def cell(self, container: Any, key: Any) -> Hashable:
        """Register container[key] (an int) and return its handle."""
        handle = (id(container), key)
        self.cells.setdefault(handle, (container, key))
        return handle

    def relate(
        self, whole: Sequence[Hashable], parts: Sequence[Hashable], kind: str = EQUAL
    ) -> None:
        self.relations.append(Relation(list(whole), list(parts), kind))

    def apply(self) -> None:
        """Write "<N" and SECONDARY into the containers."""
        handles = list(self.cells)
        values = [self.cells[h][0][self.cells[h][1]] for h in handles]
        position = {h: i for i, h in enumerate(handles)}
        marks = protect(
            values,
            [
                ([position[h] for h in r.whole], [position[h] for h in r.parts], r.kind)
                for r in self.relations
            ],
            self.limit,
        )
        for handle, mark in zip(handles, marks, strict=True):
            container, key = self.cells[handle]
            if mark == _PRIMARY:
                container[key] = f"<{self.limit}"
            elif mark == _SECONDARY:
                container[key] = SECONDARY


def protect(
    values: Sequence[int],
    relations: Sequence[tuple[Sequence[int], Sequence[int], str]],
    limit: int,
) -> list[str | None]:
    """For each value: None (shown), "primary" ("<limit") or "secondary" (withheld so that no
    "<limit" can be worked out from the relations, see the module's doc)."""
    values = [value if _is_count(value) else 0 for value in values]
    marks: list[str | None] = [_PRIMARY if 0 < v < limit else None for v in values]
    equations: list[list[tuple[int, int]]] = []
    for whole, parts, kind in relations:
        slack = sum(values[i] for i in whole) - sum(values[i] for i in parts)
        if slack < 0 or (slack and kind == EQUAL):
            continue
        terms = [(i, 1) for i in whole] + [(i, -1) for i in parts]
        if slack > 0 or kind == AT_LEAST:
            values.append(slack)
            marks.append(_HIDDEN)
            terms.append((len(values) - 1, -1))
        equations.append(terms)
    if not equations:
        return marks
    # Each round withholds one more cell, so this ends within len(values) rounds.
    while True:
        pinned = {
            **_determined(values, marks, equations, limit),
            **_pinned(values, marks, equations, limit),
        }
        complement = next(
            (
                chosen
                for equation in pinned.values()
                if (chosen := _complement(equation, values, marks, equations)) is not None
            ),
            None,
        )
        if complement is not None:
            marks[complement] = _SECONDARY
            continue
        # Not expected to happen, but if it does, fail closed: withhold every count around them.
        around = {
            i
            for equation in pinned.values()
            for layer in _layers(equation, marks, equations)
            for e in layer
            for i, _ in equations[e]
            if marks[i] in (None, _PRIMARY) and values[i]
        }
        if not around:
            break
        for i in around:
            marks[i] = _SECONDARY
    return [mark for mark in marks if mark != _HIDDEN]


def _bounds(value: int, mark: str | None, limit: int) -> tuple[float, float]:
    if mark is None:
        return value, value
    if mark == _PRIMARY:
        return 1, limit - 1
    if mark == _SECONDARY and value >= limit:
        return limit, math.inf  # the reader knows a withheld cell is not a small one
    return 0, math.inf


def _pinned(
    values: list[int], marks: list[str | None], equations: list[list[tuple[int, int]]], limit: int
) -> dict[int, int]:
    """The "<limit" cells the reader can narrow to one value, each with the equation that did."""
    bounds = [_bounds(v, m, limit) for v, m in zip(values, marks, strict=True)]
    lo = [b[0] for b in bounds]
    hi = [b[1] for b in bounds]
    pinned_by: dict[int, int] = {}
    changed = True
    while changed:
        changed = False
        for index, terms in enumerate(equations):
            low, high = _Sum(), _Sum()
            for k, ck in terms:
                low.add(lo[k] if ck > 0 else -hi[k])
                high.add(hi[k] if ck > 0 else -lo[k])
            for i, c in terms:
                # sum(c * x) == 0, so c_i * x_i is minus the sum of the rest, within its bounds
                own_low, own_high = (lo[i], hi[i]) if c > 0 else (-hi[i], -lo[i])
                rest_low, rest_high = low.without(own_low), high.without(own_high)
                new_lo, new_hi = (-rest_high, -rest_low) if c > 0 else (rest_low, rest_high)
                if new_lo > lo[i] or new_hi < hi[i]:
                    lo[i], hi[i] = max(lo[i], new_lo), min(hi[i], new_hi)
                    new_low, new_high = (lo[i], hi[i]) if c > 0 else (-hi[i], -lo[i])
                    low.replace(own_low, new_low)
                    high.replace(own_high, new_high)
                    pinned_by[i] = index
                    changed = True
    return {
        i: pinned_by[i]
        for i in range(len(marks))
        if _small(i, values, marks, limit) and lo[i] == hi[i] and i in pinned_by
    }


def _small(i: int, values: list[int], marks: list[str | None], limit: int) -> bool:
    """A small count withheld (as "<N", or as SECONDARY where even that said too much)."""
    return marks[i] in (_PRIMARY, _SECONDARY) and 0 < values[i] < limit


class _Sum:
    """A sum of bounds, some infinite (all of one sign), that can leave one term out."""

    def __init__(self) -> None:
        self.finite = 0.0
        self.infinite = 0
        self.sign = 0.0

    def add(self, value: float) -> None:
        if math.isinf(value):
            self.infinite += 1
            self.sign = value
        else:
            self.finite += value

    def remove(self, value: float) -> None:
        if math.isinf(value):
            self.infinite -= 1
        else:
            self.finite -= value

    def replace(self, old: float, new: float) -> None:
        self.remove(old)
        self.add(new)

    def without(self, value: float) -> float:
        left = self.infinite - (1 if math.isinf(value) else 0)
        if left:
            return self.sign
        return self.finite - (0 if math.isinf(value) else value)


def _determined(
    values: list[int], marks: list[str | None], equations: list[list[tuple[int, int]]], limit: int
) -> dict[int, int]:
    """The "<N" cells that the relations give away by linear algebra alone, each with the
    relation (of those it is in, the one with the fewest unknowns) to withhold another cell of.
    Two tables can together say what neither does alone (open cases = new + in triage + 5, and
    the queue = new + in triage: the queue is open cases - 5). An unknown is given away when some
    combination of the relations holds it alone: a row of the reduced echelon form with one
    entry. Integer elimination (each row kept divided by its gcd), as the coefficients are 1s."""
    rows = []
    for terms in equations:
        row: dict[int, int] = {}
        for i, sign in terms:
            if marks[i] is not None:
                row[i] = row.get(i, 0) + sign
        row = {i: c for i, c in row.items() if c}
        if row:
            rows.append(row)
    reduced: list[tuple[int, dict[int, int]]] = []  # (pivot, row), each pivot only in its row
    for row in rows:
        for pivot, other in reduced:
            row = _eliminate(row, pivot, other)
        if not row:
            continue
        pivot = min(row)
        reduced = [(p, _eliminate(r, pivot, row)) for p, r in reduced]
        reduced.append((pivot, row))
    found = {}
    for _, row in reduced:
        if len(row) == 1:
            (cell,) = row
            if _small(cell, values, marks, limit):
                found[cell] = min(
                    (e for e, terms in enumerate(equations) if any(i == cell for i, _ in terms)),
                    key=lambda e: sum(marks[i] is not None for i, _ in equations[e]),
                )
    return found


def _eliminate(row: dict[int, int], pivot: int, by: dict[int, int]) -> dict[int, int]:
    """`row` less the multiple of `by` that clears its `pivot` entry, scaled to stay integral."""
    if row.get(pivot, 0) == 0:
        return row
    a, b = by[pivot], row[pivot]
    merged = {i: a * row.get(i, 0) - b * by.get(i, 0) for i in row.keys() | by.keys()}
    merged = {i: c for i, c in merged.items() if c}
    divisor = math.gcd(*merged.values()) if merged else 1
    return {i: c // divisor for i, c in merged.items()}


def _complement(
    equation: int,
    values: list[int],
    marks: list[str | None],
    equations: list[list[tuple[int, int]]],
) -> int | None:
    """The cell to withhold next, for a small count the `equation` pinned: the smallest visible
    non-zero cell of that equation, else of the equations joined to it through withheld cells,
    nearest first. When none is left (a small total whose breakdown is all small: four "<5" rows
    adding up to a "<5" total are 1 each), a "<N" of those equations is shown as withheld instead,
    which no longer tells the reader it is at least 1: the nearest, a total first."""
    layers = _layers(equation, marks, equations)
    for layer in layers:
        # a zero is left as it is: withheld, it would still be no more than its neighbours' spread
        visible = {i for e in layer for i, _ in equations[e] if marks[i] is None and values[i]}
        if visible:
            return min(visible, key=lambda i: (values[i], i))
    for layer in layers:
        small = [
            (sign, values[i], i) for e in layer for i, sign in equations[e] if marks[i] == _PRIMARY
        ]
        if small:
            return max(small)[2]
    return None


def _layers(
    equation: int, marks: list[str | None], equations: list[list[tuple[int, int]]]
) -> list[list[int]]:
    """The equation, then those sharing a withheld cell with it, then those sharing one with
    them, and so on."""
    seen = {equation}
    layers = [[equation]]
    while True:
        withheld = {i for e in layers[-1] for i, _ in equations[e] if marks[i] is not None}
        layer = [
            e
            for e, terms in enumerate(equations)
            if e not in seen and any(i in withheld for i, _ in terms)
        ]
        if not layer:
            return layers
        seen.update(layer)
        layers.append(layer)
