"""Secondary suppression (dashboards.suppression) over the snapshot's figures and the live dashboard's:
no "<5" may be worked out from the totals and the cells shown. Checked by an attacker written here,
apart from the module: linear algebra over every sum the reader can see (a withheld cell is
recovered when it is a combination of the relations alone), and each relation on its own with what
the reader knows of every withheld cell ("<5" is 1 to 4, a withheld large count 5 or more)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards import suppression
from dashboards.live import OPEN_STATUSES, share
from dashboards.reports import suppress
from dashboards.suppression import SECONDARY, protect

LIMIT = 5
EQUAL, AT_LEAST, USUALLY = "equal", "at least", "usually equal"

# A relation: (whole, parts, kind) over cell names; sum(whole) == sum(parts), or >= for AT_LEAST.
Relation = tuple[list[str], list[str], str]


# The attacker -------------------------------------------------------------------------------------


def recovered(true: dict[str, int], shown: dict[str, Any], relations: list[Relation]) -> set[str]:
    """The small counts withheld (as "<LIMIT" or SECONDARY) whose value the reader can work out."""
    small = {
        name for name, value in shown.items() if isinstance(value, str) and 0 < true[name] < LIMIT
    }
    return small & (_by_algebra(true, shown, relations) | _by_bounds(true, shown, relations))


def _equations(true, shown, relations):  # type: ignore[no-untyped-def]
    """Each relation as {unknown: coefficient}, with an unseen difference where there is one."""
    for index, (whole, parts, kind) in enumerate(relations):
        gap = sum(true[n] for n in whole) - sum(true[n] for n in parts)
        if gap < 0 or (gap and kind == EQUAL):
            continue  # broken: it tells the reader nothing
        terms = {}
        for name, sign in [*((n, 1) for n in whole), *((n, -1) for n in parts)]:
            if isinstance(shown[name], str):
                terms[name] = terms.get(name, 0) + sign
        if gap or kind == AT_LEAST:
            terms[f"gap{index}"] = -1
        yield terms, gap


def _by_algebra(true, shown, relations) -> set[str]:  # type: ignore[no-untyped-def]
    """An unknown is recovered when its unit vector lies in the row space of the equations."""
    rows = [terms for terms, _ in _equations(true, shown, relations) if terms]
    unknowns = sorted({name for terms in rows for name in terms})
    matrix = [[Fraction(terms.get(name, 0)) for name in unknowns] for terms in rows]
    base = _rank(matrix)
    found = set()
    for position, name in enumerate(unknowns):
        unit = [Fraction(int(i == position)) for i in range(len(unknowns))]
        if _rank([*matrix, unit]) == base:
            found.add(name)
    return found


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [row[:] for row in matrix]
    rank = 0
    for col in range(len(rows[0]) if rows else 0):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][col] != 0:
                factor = rows[r][col] / rows[rank][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def _by_bounds(true, shown, relations) -> set[str]:  # type: ignore[no-untyped-def]
    """One relation at a time: x = (c - the rest) / sign, the rest anywhere within its bounds."""

    def bounds(name: str) -> tuple[float, float]:
        if name.startswith("gap"):
            return 0, math.inf
        if shown[name] == f"<{LIMIT}":
            return 1, LIMIT - 1
        return (LIMIT, math.inf) if true[name] >= LIMIT else (0, math.inf)

    found = set()
    for terms, _ in _equations(true, shown, relations):
        terms = {name: sign for name, sign in terms.items() if sign}
        c = sum(sign * _true(true, name, relations) for name, sign in terms.items())
        for name, sign in terms.items():
            rest = [(terms[o], bounds(o)) for o in terms if o != name]
            low_rest = sum(t * (b[0] if t > 0 else b[1]) for t, b in rest)
            high_rest = sum(t * (b[1] if t > 0 else b[0]) for t, b in rest)
            window = sorted(((c - high_rest) / sign, (c - low_rest) / sign))
            low, high = bounds(name)
            if max(low, window[0]) == min(high, window[1]):
                found.add(name)
    return found


def _true(true: dict[str, int], name: str, relations: list[Relation]) -> int:
    if not name.startswith("gap"):
        return true[name]
    whole, parts, _ = relations[int(name[3:])]
    return sum(true[n] for n in whole) - sum(true[n] for n in parts)


def test_the_attacker_finds_what_primary_suppression_alone_leaves() -> None:
    """Without secondary suppression a total minus the visible cells gives a "<5" back."""
    true = {"total": 53, "sms": 3, "voice": 50}
    shown = {"total": 53, "sms": "<5", "voice": 50}
    assert recovered(true, shown, [(["total"], ["sms", "voice"], EQUAL)]) == {"sms"}
    # two small ones whose sum is as small as it can be: each is 1
    true = {"total": 2, "sms": 1, "web": 1}
    shown = {"total": 2, "sms": "<5", "web": "<5"}
    assert recovered(true, shown, [(["total"], ["sms", "web"], EQUAL)]) == {"sms", "web"}


# The module's rule on small tables -----------------------------------------------------------------


def test_one_small_cell_in_a_row_takes_the_next_smallest_with_it() -> None:
    marks = protect([60, 3, 7, 50], [([0], [1, 2, 3], EQUAL)], LIMIT)
    assert marks == [None, "primary", "secondary", None]


def test_a_row_with_nothing_else_to_withhold_loses_its_total() -> None:
    # 6 = 1 + 5: with the 5 withheld (so 5 or more), the "<5" could still only be 1
    marks = protect([6, 1, 5], [([0], [1, 2], EQUAL)], LIMIT)
    assert marks == ["secondary", "primary", "secondary"]


def test_a_small_total_of_small_rows_is_withheld() -> None:
    # four "<5" rows and a "<5" total: the total could only be 4 and each row 1
    marks = protect([4, 1, 1, 1, 1, 0], [([0], [1, 2, 3, 4, 5], EQUAL)], LIMIT)
    assert marks == ["secondary", "primary", "primary", "primary", "primary", None]


def test_should_nothing_be_left_to_withhold_everything_around_is(monkeypatch) -> None:
    monkeypatch.setattr(suppression, "_complement", lambda *args: None)
    marks = protect([60, 3, 7, 50], [([0], [1, 2, 3], EQUAL)], LIMIT)
    assert marks == ["secondary"] * 4  # fails closed


def test_small_cells_adding_up_to_their_least_are_protected() -> None:
    # thirty days of one report each, 30 in all: every "<5" would be a 1
    marks = protect([30] + [1] * 30, [([0], list(range(1, 31)), EQUAL)], LIMIT)
    assert marks[0] == "secondary"
    assert marks[1:] == ["primary"] * 30


# Snapshot figures ---------------------------------------------------------------------------------

CHANNELS = ("sms", "voice", "web", "feed", "api")
OUTCOMES = ("verified", "discarded", "awaiting")
REASONS = ("prank", "wrong-number")
REFERRALS = ("pending", "accepted", "declined", "withdrawn", "completed")
DAYS = 4

case = st.tuples(
    st.sampled_from(CHANNELS),
    st.integers(0, DAYS - 1),
    st.sampled_from(OUTCOMES),
    st.sampled_from(REASONS),
    st.booleans(),  # claimed
    st.booleans(),  # closed
)
referral = st.tuples(st.sampled_from(REFERRALS), st.booleans())  # responded


def snapshot_of(cases: list, referrals: list, services: list[int]):  # type: ignore[no-untyped-def]
    def count(predicate) -> int:  # type: ignore[no-untyped-def]
        return sum(1 for c in cases if predicate(c))

    def timed(n: int) -> dict[str, Any]:
        return {"count": n, "p50_seconds": 60 if n else None, "p90_seconds": 90 if n else None}

    accepted = [r for r in referrals if r[0] in ("accepted", "completed")]
    return {
        "filters": {},
        "period": {"start": "2026-03-01", "end": "2026-03-04"},
        "incoming": {
            "total": len(cases),
            "by_day": [
                {"day": f"2026-03-0{d + 1}", "count": count(lambda c, d=d: c[1] == d)}
                for d in range(DAYS)
            ],
            "by_channel": [
                {"code": ch, "label": ch, "count": count(lambda c, ch=ch: c[0] == ch)}
                for ch in CHANNELS
            ],
        },
        "triage": [
            {"code": o, "label": o, "count": count(lambda c, o=o: c[2] == o)} for o in OUTCOMES
        ],
        "discard_reasons": [
            {
                "code": r,
                "label": r,
                "count": count(lambda c, r=r: c[2] == "discarded" and c[3] == r),
            }
            for r in REASONS
        ],
        "referrals": [
            {"code": s, "label": s, "count": sum(1 for r in referrals if r[0] == s)}
            for s in REFERRALS
        ],
        "services": [
            {"code": f"s{k}", "label": f"s{k}", "count": services.count(k)} for k in range(2)
        ],
        "times": {
            "first_contact": timed(count(lambda c: c[4])),
            "closure": timed(count(lambda c: c[5])),
            "referral_acceptance": timed(sum(1 for r in accepted if r[1])),
        },
    }


def snapshot_cells(figures: dict) -> dict[str, Any]:
    """Every count of a snapshot by name (the attacker's view of the page)."""
    cells = {"total": figures["incoming"]["total"]}
    for key, group in (("day", figures["incoming"]["by_day"]),
                       ("channel", figures["incoming"]["by_channel"]),
                       ("triage", figures["triage"]), ("reason", figures["discard_reasons"]),
                       ("referral", figures["referrals"]), ("service", figures["services"])):  # fmt: skip
        for entry in group:
            cells[f"{key}:{entry.get('code', entry.get('day'))}"] = entry["count"]
    for name, time in figures["times"].items():
        cells[f"time:{name}"] = time["count"]
    return cells


def snapshot_relations() -> list[Relation]:
    """What a reader of the report can add up, stated here apart from the module."""
    return [
        (["total"], [f"day:2026-03-0{d + 1}" for d in range(DAYS)], EQUAL),
        (["total"], [f"channel:{c}" for c in CHANNELS], EQUAL),
        (["total"], [f"triage:{o}" for o in OUTCOMES], EQUAL),
        (["triage:discarded"], [f"reason:{r}" for r in REASONS], USUALLY),
        (["total"], ["time:first_contact"], AT_LEAST),
        (["total"], ["time:closure"], AT_LEAST),
        (["referral:accepted", "referral:completed"], ["time:referral_acceptance"], USUALLY),
    ]


def check(true: dict[str, int], shown: dict[str, Any], relations: list[Relation]) -> None:
    for name, value in true.items():
        if 0 < value < LIMIT:  # "<5", or withheld where even that would tell too much
            assert shown[name] in (f"<{LIMIT}", SECONDARY), name
        elif shown[name] != value:
            assert shown[name] == SECONDARY, name
    assert not recovered(true, shown, relations), (true, shown)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(case, max_size=40),
    st.lists(referral, max_size=12),
    st.lists(st.integers(0, 1), max_size=8),
)
def test_no_suppressed_snapshot_count_can_be_worked_out(cases, referrals, services) -> None:
    figures = snapshot_of(cases, referrals, services)

    shared = suppress(figures, threshold=LIMIT)

    check(snapshot_cells(figures), snapshot_cells(shared), snapshot_relations())
    for time in shared["times"].values():  # a withheld count keeps no percentiles
        if isinstance(time["count"], str):
            assert time["p50_seconds"] is None
            assert time["p90_seconds"] is None


# Live figures -------------------------------------------------------------------------------------

LIVE_CHANNELS = ("SMS", "Phone", "Web form")
HELPLINES = ("North", "South")
CATEGORIES = ("physical", "stalking", None)
RISKS = ("High risk", "Medium risk", "Standard risk", "Not assessed")  # every row, zeros too

open_case = st.tuples(
    st.sampled_from(OPEN_STATUSES),
    st.sampled_from(CATEGORIES),
    st.sampled_from(HELPLINES),
    st.booleans(),  # past its SLA target (counts only when new)
    st.sampled_from(RISKS),
)
report = st.tuples(st.sampled_from(LIVE_CHANNELS), st.booleans())  # in the last hour
move = st.tuples(st.sampled_from(HELPLINES), st.sampled_from(("claim", "verify")))


def live_of(cases: list, reports: list, pending: list[bool], moves: list) -> dict:  # type: ignore[no-untyped-def]
    def count(items, predicate) -> int:  # type: ignore[no-untyped-def]
        return sum(1 for item in items if predicate(item))

    new = count(cases, lambda c: c[0] == "new")
    in_triage = count(cases, lambda c: c[0] == "in_triage")
    rows = []
    for helpline in HELPLINES:
        claims = count(moves, lambda m, h=helpline: m == (h, "claim"))
        verifications = count(moves, lambda m, h=helpline: m == (h, "verify"))
        if claims or verifications:
            rows.append({"label": helpline, "claims": claims, "verifications": verifications})
    channels = [
        {
            "label": ch,
            "last_hour": count(reports, lambda r, ch=ch: r == (ch, True)),
            "today": count(reports, lambda r, ch=ch: r[0] == ch),
        }
        for ch in LIVE_CHANNELS
    ]
    return {
        "generated_at": "2026-03-10T14:30:00+00:00",
        "reports": {
            "last_hour": sum(row["last_hour"] for row in channels),
            "today": len(reports),
            "by_channel": channels,
        },
        "referrals": {"pending": len(pending), "overdue": sum(pending)},
        "activity": {
            "by": "helpline",
            "claims": sum(row["claims"] for row in rows),
            "verifications": sum(row["verifications"] for row in rows),
            "rows": rows,
        },
        "queue": {
            "length": new + in_triage,
            "unclaimed": new,
            "in_triage": in_triage,
            "oldest_waiting_seconds": 60 if new else None,
        },
        "sla_breaches": count(cases, lambda c: c[0] == "new" and c[3]),
        "open_cases": len(cases),
        "by_status": [
            {"label": s, "count": count(cases, lambda c, s=s: c[0] == s)} for s in OPEN_STATUSES
        ],
        "by_category": [
            {"label": str(k), "count": count(cases, lambda c, k=k: c[1] == k)}
            for k in CATEGORIES
            if count(cases, lambda c, k=k: c[1] == k)
        ],
        "by_helpline": [
            {"label": h, "count": count(cases, lambda c, h=h: c[2] == h)}
            for h in HELPLINES
            if count(cases, lambda c, h=h: c[2] == h)
        ],
        "by_risk": [{"label": r, "count": count(cases, lambda c, r=r: c[4] == r)} for r in RISKS],
    }


def live_cells(figures: dict) -> dict[str, Any]:
    reports, queue, activity = figures["reports"], figures["queue"], figures["activity"]
    cells = {
        "hour": reports["last_hour"],
        "today": reports["today"],
        "length": queue["length"],
        "unclaimed": queue["unclaimed"],
        "in_triage": queue["in_triage"],
        "sla": figures["sla_breaches"],
        "open": figures["open_cases"],
        "pending": figures["referrals"]["pending"],
        "overdue": figures["referrals"]["overdue"],
        "claims": activity["claims"],
        "verifications": activity["verifications"],
    }
    for row in reports["by_channel"]:
        cells[f"hour:{row['label']}"] = row["last_hour"]
        cells[f"today:{row['label']}"] = row["today"]
    for key in ("by_status", "by_category", "by_helpline", "by_risk"):
        for row in figures[key]:
            cells[f"{key}:{row['label']}"] = row["count"]
    for row in activity["rows"]:
        cells[f"claims:{row['label']}"] = row["claims"]
        cells[f"verifications:{row['label']}"] = row["verifications"]
    return cells


def live_relations(figures: dict) -> list[Relation]:
    cells = live_cells(figures)
    rows = lambda prefix: [name for name in cells if name.startswith(prefix)]  # noqa: E731
    return [
        (["hour"], rows("hour:"), EQUAL),
        (["today"], rows("today:"), EQUAL),
        *(([f"today:{ch}"], [f"hour:{ch}"], AT_LEAST) for ch in LIVE_CHANNELS),
        (["length"], ["unclaimed", "in_triage"], EQUAL),
        (["unclaimed"], ["by_status:new"], EQUAL),
        (["in_triage"], ["by_status:in_triage"], EQUAL),
        (["unclaimed"], ["sla"], AT_LEAST),
        (["open"], rows("by_status:"), EQUAL),
        (["open"], rows("by_category:"), EQUAL),
        (["open"], rows("by_helpline:"), EQUAL),
        (["open"], rows("by_risk:"), EQUAL),
        (["pending"], ["overdue"], AT_LEAST),
        (["claims"], rows("claims:"), EQUAL),
        (["verifications"], rows("verifications:"), EQUAL),
    ]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(open_case, max_size=30),
    st.lists(report, max_size=30),
    st.lists(st.booleans(), max_size=10),
    st.lists(move, max_size=12),
)
def test_no_suppressed_live_count_can_be_worked_out(cases, reports, pending, moves) -> None:
    figures = live_of(cases, reports, pending, moves)

    shared = share(figures, limit=LIMIT)  # type: ignore[arg-type]

    check(live_cells(figures), live_cells(shared), live_relations(figures))
    oldest = shared["queue"]["oldest_waiting_seconds"]
    if isinstance(shared["queue"]["unclaimed"], str):  # a withheld count takes its time with it
        assert oldest is None
    else:
        assert oldest == figures["queue"]["oldest_waiting_seconds"]
