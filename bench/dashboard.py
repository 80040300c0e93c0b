"""The live dashboard's figures, and a year's and a five-year snapshot report on 1,000,000 cases in
PostgreSQL: read from the daily roll-up (dashboards.rollups) against the same report counted from
the cases (the raw aggregate, and its statements replayed as plain SQL), all in the same run, and
checked equal.

    python bench/dashboard.py [--cases 1000000] [--rounds 20]

Two years of cases, the last days still open and older ones closed or archived, each with its
first report, a third of the referred ones with a referral. The first run fills the database
(DATABASE_URL, default `lantern_bench_dashboard`; a few minutes: the rows are made by PostgreSQL
itself with generate_series, then ANALYZEd) and builds the roll-up (rebuild_rollups, timed);
later runs reuse both, refreshing the roll-up as the nightly job would. Goals (issue 16): the
dashboard under 50 ms, a year's snapshot under 50 ms and a five-year one under 100 ms."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.production import ensure_database  # noqa: E402 - once the checkout is on the path

DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lantern_bench_dashboard"
)
os.environ.update(DATABASE_URL=DATABASE_URL, DJANGO_SETTINGS_MODULE="project.settings.base")
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("LOG_LEVEL", "WARNING")
PREFIX = "BENCH-"


def prepare(total: int) -> None:
    import django

    ensure_database(DATABASE_URL)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from cases.models import Case

    have = Case.objects.filter(number__startswith=PREFIX).count()
    if have < total:
        fill(have, total)


def _not_null_defaults(table: str, given: set[str]) -> dict[str, str]:
    """SQL literals for the NOT NULL columns the fill does not set itself (Django keeps defaults
    in Python, not in the table): empty text, false, zero, an empty JSON document."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL",
            [table],
        )
        rows = cursor.fetchall()
    literal = {"text": "''", "character varying": "''", "boolean": "false", "integer": "0",
               "smallint": "0", "bigint": "0", "jsonb": "'{}'::jsonb"}  # fmt: skip
    return {
        column: literal[kind] for column, kind in rows if column not in given and column != "id"
    }


def fill(start: int, total: int) -> None:
    """The cases of three helplines over the last two years, with their first reports and, for a
    tenth of them, a referral; rows made by PostgreSQL, in batches."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Organisation, User
    from cases.models import Category

    helplines = [
        Organisation.objects.get_or_create(slug=f"bench-helpline-{i}", defaults={"name": f"Bench {i}", "kind": "helpline"})[0].pk
        for i in range(3)
    ]  # fmt: skip
    cso = Organisation.objects.get_or_create(slug="bench-cso", defaults={"name": "Bench CSO", "kind": "cso"})[0]  # fmt: skip
    referrer = User.objects.get_or_create(username="bench-referrer", defaults={"organisation_id": helplines[0]})[0]  # fmt: skip
    categories = list(Category.objects.values_list("pk", flat=True))
    case_values = {
        "number": "%(prefix)s || lpad(g::text, 8, '0')",
        "helpline_id": "(%(helplines)s::bigint[])[1 + g %% 3]",
        "status": "status",
        "channel": "(ARRAY['sms','voice','web','sms','web'])[1 + g %% 5]",
        "category_id": "(%(categories)s::bigint[])[1 + g %% %(ncat)s]",
        "priority": "(ARRAY['standard','standard','medium','high'])[1 + g %% 4]",
        "created_at": "created_at",
        "updated_at": "created_at",
        "closed_at": "CASE WHEN status IN ('closed', 'archived') THEN created_at + interval '20 days' END",
        # first contact spread over 90 minutes to the millisecond, as real ones are: the roll-up's
        # histograms of whole seconds are then as large as they will be in use
        "first_claimed_at": "CASE WHEN status <> 'new' THEN created_at + ((g * 7919) %% 5400) * interval '1 second' + ((g * 13) %% 1000) * interval '1 millisecond' END",
    }
    case_set = list(case_values)
    case_extra = _not_null_defaults("cases_case", set(case_set))
    report_set = ["case_id", "channel", "source_id", "received_at"]
    report_extra = _not_null_defaults("cases_report", set(report_set))
    referral_set = ["case_id", "organisation_id", "status", "consent", "referred_by_id",
                    "referred_by_organisation_id", "created_at", "deadline", "responded_at"]  # fmt: skip
    referral_extra = _not_null_defaults("referrals_referral", set(referral_set))
    now = timezone.now()
    batch = 100_000
    for low in range(start, total, batch):
        high = min(low + batch, total)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH g AS (
                  SELECT g, age, CASE
                    -- what a helpline's cases look like: the last days still being worked on,
                    -- older ones mostly closed or archived
                    WHEN age < interval '2 days' THEN (ARRAY['new', 'in_triage', 'verified',
                      'referred', 'in_service', 'discarded'])[1 + g %% 6]
                    WHEN age < interval '60 days' THEN (ARRAY['in_service', 'resolved', 'closed',
                      'closed', 'discarded'])[1 + g %% 5]
                    WHEN age < interval '150 days' THEN (ARRAY['closed', 'closed', 'closed',
                      'discarded'])[1 + g %% 4]
                    ELSE (ARRAY['archived', 'archived', 'archived', 'discarded'])[1 + g %% 4]
                  END AS status, %(now)s - age AS created_at
                  FROM generate_series(%(low)s, %(high)s - 1) AS g,
                    LATERAL (SELECT (g %% 730) * interval '1 day'
                      + (g %% 1440) * interval '1 minute' AS age) AS a
                )
                INSERT INTO cases_case ({", ".join([*case_set, *case_extra])})
                SELECT {", ".join([case_values[c] for c in case_set] + list(case_extra.values()))}
                FROM g
                """,
                {"prefix": PREFIX, "helplines": helplines, "categories": categories, "ncat": len(categories), "now": now,
                 "low": low, "high": high},
            )  # fmt: skip
            cursor.execute(
                f"""
                INSERT INTO cases_report ({", ".join([*report_set, *report_extra])})
                SELECT id, channel, 'BENCH' || id, created_at
                  {"".join(f", {v}" for v in report_extra.values())}
                FROM cases_case WHERE number >= %s AND number < %s
                """,
                [f"{PREFIX}{low:08d}", f"{PREFIX}{high:08d}"],
            )
            cursor.execute(
                f"""
                INSERT INTO referrals_referral ({", ".join([*referral_set, *referral_extra])})
                SELECT id, %s, CASE WHEN status = 'referred' THEN 'pending' ELSE 'accepted' END,
                  true, %s, %s, created_at, created_at + interval '4 hours',
                  CASE WHEN status = 'referred' THEN NULL ELSE created_at + interval '2 hours' END
                  {"".join(f", {v}" for v in referral_extra.values())}
                FROM cases_case
                WHERE number >= %s AND number < %s
                  AND status IN ('referred', 'in_service', 'resolved', 'closed', 'archived')
                  AND id %% 3 = 0
                """,
                [cso.pk, referrer.pk, helplines[0], f"{PREFIX}{low:08d}", f"{PREFIX}{high:08d}"],
            )
        print(f"  {high:>9,} cases", flush=True)
    with connection.cursor() as cursor:
        for table in ("cases_case", "cases_report", "referrals_referral"):
            cursor.execute(f"ANALYZE {table}")


def measure(label: str, run: Callable[[], object], rounds: int) -> float:
    run()  # warm: plans cached, pages in memory
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    p50 = statistics.median(times)
    print(f"{label:<22} p50 {p50:8.1f} ms  max {max(times):8.1f} ms")
    return p50


def replay(run: Callable[[], object]) -> tuple[Callable[[], object], int]:
    """The same aggregates in plain SQL: the statements `run` sends, captured once and replayed
    through a bare cursor, so the ratio is what the Python around them costs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    statements = [query["sql"] for query in captured.captured_queries]

    def plain() -> object:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
                cursor.fetchall()
        return None

    return plain, len(statements)


def roll_up() -> tuple[float, int]:
    """The roll-up built (first run: every day, as rebuild_rollups does) or brought up to date (as
    the periodic job does); the seconds it took and the cells it holds."""
    from django.db import connection

    from dashboards.models import RollupCell, RollupCoverage
    from dashboards.rollup_builds import rebuild, refresh

    start = time.perf_counter()
    if RollupCoverage.objects.exists():
        refresh()
    else:
        rebuild()
    took = time.perf_counter() - start
    # What autovacuum does in production (this machine's PostgreSQL runs without it): fresh
    # statistics, and the visibility map the roll-up's index-only reads rely on.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE dashboards_rollupcell")
    return took, RollupCell.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    prepare(args.cases)
    build_s, cells = roll_up()
    print(f"roll-up: {cells:,} cells, built or refreshed in {build_s:.1f} s")

    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Organisation, User
    from accounts.services import set_role
    from cases.models import Case
    from dashboards.live import live_figures
    from dashboards.reports import snapshot

    monitors, _ = Organisation.objects.get_or_create(
        slug="bench-monitors", defaults={"name": "Bench monitors", "kind": "monitor"}
    )
    monitor, created = User.objects.get_or_create(
        username="bench-monitor", defaults={"organisation": monitors}
    )
    if created:
        set_role(user=monitor, role="monitor")
    monitor = User.objects.get(pk=monitor.pk)  # fresh permission cache
    total = Case.objects.count()
    print(f"{total:,} cases")

    def live_run() -> object:
        return live_figures(monitor)

    # moments, not dates: each report's first day is cut, so it is counted from the cases
    year_ago = (timezone.now() - timedelta(days=365)).isoformat()
    five_years_ago = (timezone.now() - timedelta(days=5 * 365)).isoformat()

    def report(since: str, *, rollup: bool) -> Callable[[], object]:
        return lambda: snapshot(monitor, {"created_after": since}, rollup=rollup)

    live = measure("live figures", live_run, args.rounds)
    live_plain, live_queries = replay(live_run)
    live_sql = measure(f"  same {live_queries} statements, plain SQL", live_plain, args.rounds)
    rounds = max(args.rounds // 4, 5)
    year = measure("year, roll-up", report(year_ago, rollup=True), args.rounds)
    five = measure("five years, roll-up", report(five_years_ago, rollup=True), args.rounds)
    raw_year = measure("year, raw", report(year_ago, rollup=False), rounds)
    raw_five = measure("five years, raw", report(five_years_ago, rollup=False), rounds)
    year_plain, year_queries = replay(report(year_ago, rollup=False))
    raw_sql = measure(f"  same {year_queries} statements, plain SQL", year_plain, rounds)
    equal = all(
        report(since, rollup=True)() == report(since, rollup=False)()
        for since in (year_ago, five_years_ago)
    )
    print(
        f"RESULT cases={total} cells={cells} rollup_build_s={build_s:.1f} "
        f"live_ms={live:.1f} live_sql_ms={live_sql:.1f} live_ratio={live / live_sql:.2f} "
        f"live_queries={live_queries} year_ms={year:.1f} five_year_ms={five:.1f} "
        f"raw_year_ms={raw_year:.1f} raw_five_year_ms={raw_five:.1f} raw_year_sql_ms={raw_sql:.1f} "
        f"ratio={raw_year / year:.1f} five_year_ratio={raw_five / five:.1f} equal={equal} "
        f"live_goal_met={live < 50} year_goal_met={year < 50} five_year_goal_met={five < 100}"
    )


if __name__ == "__main__":
    main()
