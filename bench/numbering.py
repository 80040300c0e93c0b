"""Case opening (number + case + report + history) under concurrency on PostgreSQL, against a bare
one-row insert in the same run. Usage: python bench/numbering.py [--threads 8] [--seconds 5]

Needs PostgreSQL (DATABASE_URL, default the local `lantern_bench` database, created if missing)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.production import ensure_database  # noqa: E402 - once the checkout is on the path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lantern_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.base")


def run(label: str, op: Callable[[], None], threads: int, seconds: float) -> tuple[float, float]:
    from django.db import connection

    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        mine = []
        try:
            while time.perf_counter() < stop:
                start = time.perf_counter()
                op()
                mine.append(time.perf_counter() - start)
        finally:
            connection.close()
        with lock:
            latencies.extend(mine)

    began = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    rate = len(latencies) / (time.perf_counter() - began)
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    print(
        f"{label:<12} {rate:8.0f}/s  p50 {statistics.median(latencies) * 1000:6.1f} ms  p99 {p99:6.1f} ms"
    )
    return rate, p99


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import Organisation
    from cases.models import Case, CaseNumber
    from cases.services import IncomingReport, open_case

    assert connection.vendor == "postgresql", "this benchmark measures PostgreSQL"
    call_command("migrate", verbosity=0)
    helpline, _ = Organisation.objects.get_or_create(
        slug="bench-helpline", defaults={"name": "Bench", "kind": "helpline"}
    )
    before = Case.objects.count()

    def bare_insert() -> None:
        with transaction.atomic():
            CaseNumber.objects.create()

    def open_one() -> None:
        open_case(
            helpline=helpline,
            report=IncomingReport(channel="sms", source_id=uuid.uuid4().hex, body="bench"),
        )

    base_rate, base_p99 = run("bare insert", bare_insert, args.threads, args.seconds)
    rate, p99 = run("open_case", open_one, args.threads, args.seconds)

    numbers = list(Case.objects.values_list("number", flat=True))
    unique = len(numbers) == len(set(numbers))
    print(
        f"RESULT cases_per_s={rate:.0f} bare_insert_per_s={base_rate:.0f} "
        f"ratio={rate / base_rate:.2f} p99_ms={p99:.1f} bare_p99_ms={base_p99:.1f} "
        f"threads={args.threads} opened={len(numbers) - before} numbers_unique={unique}"
    )


if __name__ == "__main__":
    main()
