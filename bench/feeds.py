"""Feed imports on the real parts (PostgreSQL + Redis): how fast a police file goes in against a
bare psycopg COPY of the same rows, and whether the operators' queue page notices while it does.

    python bench/feeds.py [--rows 100000] [--requests 100] [--concurrency 2]

1. A made-up police.uk street file of `--rows` rows (one in five without a crime ID, as
   anti-social behaviour rows are) is COPYed into a plain table of text columns (rows parsed by
   the csv module, psycopg's COPY ... FROM STDIN, one transaction): the baseline rows/s.
2. The same file is imported by `manage.py import_feed` in a process of its own (the engine a
   feeds worker runs: chunks, checkpoint, counts): rows/s from the batch's start to its end.
   Goal (issue 13): import >= 25% of COPY's rows/s.
3. The operators' queue page (/console/, an operator with a verified session, a few hundred open
   cases) under daphne: p95 over `--requests` requests idle, then p95 while another import of
   the same size (new rows) runs in its own process, for as long as it runs. Goal: busy p95 <=
   1.5x idle p95. `wrk` is used when installed; otherwise (the bench installs nothing) a small
   threaded client with keep-alive connections.
`--nice N` runs the import of step 3 at that CPU niceness, as a feeds worker started under `nice`
would run (the RESULT line says which). `parse_rps` is reading, checking and hashing alone (no database), the ceiling of the Python side.
Every row must be stored (`lost=` counts the ones that were not). Uses the `lantern_bench_feeds`
database (created here; its feed tables are emptied at each run) and REDIS_URL (default db 2).
The RESULT line ends with the 1-minute load average: on a shared machine every figure is slower."""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.production import ensure_database  # noqa: E402 - once the checkout is on the path

DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lantern_bench_feeds"
)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2")
HELPLINE_SLUG = "bench-feeds-helpline"
OPEN_CASES = 300
HEADER = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip
TEMPORARY: list[str] = []  # folders this run made, removed at its end
CRIME_TYPES = ["Other theft", "Burglary", "Criminal damage and arson", "Shoplifting", "Drugs"]


def setup() -> None:
    from bench.alerts import SERVER_ENV

    os.environ.update(SERVER_ENV)  # the bench signs the session daphne reads: same keys
    os.environ.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        DJANGO_SETTINGS_MODULE="bench.settings",
        LOG_LEVEL="WARNING",
        FEED_FILES_DIR=tempfile.mkdtemp(prefix="bench-feeds-"),
    )
    TEMPORARY.append(os.environ["FEED_FILES_DIR"])
    import django

    ensure_database(DATABASE_URL)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def street_file(path: Path, rows: int, *, seed: int) -> None:
    """Made-up rows of the police.uk street shape; a different seed gives other crime IDs."""
    chance = random.Random(seed)  # noqa: S311 - made-up data
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            blank = n % 5 == 0
            writer.writerow(
                [
                    "" if blank else f"{chance.getrandbits(256):064x}",
                    "2026-10",
                    "Made-up Constabulary",
                    "Made-up Constabulary",
                    f"-0.{chance.randrange(100000, 199999)}",
                    f"51.{chance.randrange(400000, 599999)}",
                    f"On or near Street {chance.randrange(5000)}",
                    f"E0100{chance.randrange(1000, 9999)}",
                    f"Nowhere {chance.randrange(100):03d}A",
                    "Anti-social behaviour" if blank else chance.choice(CRIME_TYPES),
                    "" if blank else "Under investigation",
                    "",
                ]
            )


def prepare() -> tuple[object, object, str]:
    """Empty feed tables, two sources, an operator's helpline with open cases, their session."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Organisation
    from bench.alerts import bench_operator, verified_session
    from cases.models import Case
    from cases.numbering import allocate_case_number
    from feeds.models import FeedSource
    from tests.feeds.conftest import shipped_profile

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE feeds_feedrecordversion, feeds_rowerror, feeds_feedrecord, "
            "feeds_importbatch CASCADE"
        )
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
    helpline, _ = Organisation.objects.update_or_create(
        slug=HELPLINE_SLUG, defaults={"name": "Bench feeds", "kind": "helpline", "is_active": True}
    )
    missing = OPEN_CASES - Case.objects.filter(helpline=helpline, status="new").count()
    for _ in range(max(0, missing)):
        Case.objects.create(
            number=allocate_case_number(timezone.now()), helpline=helpline, channel="sms"
        )
    sources = [
        FeedSource.objects.update_or_create(
            slug=slug,
            defaults={
                "name": f"Bench {slug}",
                "helpline": helpline,
                "profile": shipped_profile("police-uk-street"),
                "is_active": True,
            },
        )[0]
        for slug in ("bench-first", "bench-second")
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # the page server runs with DEBUG on (see main), where the session cookie has its plain name
    _, session_key = verified_session(bench_operator(helpline))
    cookie = f"sessionid={session_key}"
    return sources[0], sources[1], cookie


def copy_baseline(path: Path) -> float:
    """Rows/s of psycopg COPY of the file's rows into a plain table, in one transaction."""
    import psycopg

    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with psycopg.connect(DATABASE_URL) as conn:
        conn.execute(f"CREATE TABLE bench_copy (id bigserial PRIMARY KEY, {columns})")
        conn.commit()
        names = ", ".join(f"c{i}" for i in range(len(HEADER)))
        start = time.perf_counter()
        with path.open(newline="") as file, conn.cursor() as cursor:
            reader = csv.reader(file)
            next(reader)
            rows = 0
            with cursor.copy(f"COPY bench_copy ({names}) FROM STDIN") as copy:
                for row in reader:
                    copy.write_row(row)
                    rows += 1
        conn.commit()
        elapsed = time.perf_counter() - start
    return rows / elapsed


def start_import(source: object, path: Path, nice: int = 0) -> subprocess.Popen[bytes]:
    slug = source.slug  # type: ignore[attr-defined]
    command = ["nice", "-n", str(nice), sys.executable, "manage.py", "import_feed", slug, str(path)]
    return subprocess.Popen(  # noqa: S603 - nice, our own interpreter and manage.py
        command,
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings.base"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finished(process: subprocess.Popen[bytes], what: str) -> str:
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{what} failed:\n{err.decode(errors='replace')[-2000:]}")
    return out.decode().strip()


def latest_batch(source: object) -> object:
    from feeds.models import ImportBatch

    return ImportBatch.objects.filter(source=source).order_by("-pk").first()


def parse_rps(source: object, path: Path) -> float:
    """Rows/s of reading, checking and hashing the file with the source's profile, no database:
    where the engine's time goes before it writes anything."""
    from feeds.engine import parsed_profile
    from feeds.profiles import RowInvalid, canonical, content_hash
    from feeds.readers import open_rows

    profile = parsed_profile(source)  # type: ignore[arg-type]
    start = time.perf_counter()
    count = 0
    with open_rows(path, profile) as rows:
        for _, row in rows:
            count += 1
            try:
                content_hash(canonical(profile, row))
            except RowInvalid:
                continue
    return count / (time.perf_counter() - start)


def import_rps(batch: object) -> float:
    seconds = (batch.finished_at - batch.started_at).total_seconds()  # type: ignore[attr-defined]
    return batch.rows / seconds  # type: ignore[attr-defined]


# The queue page's latency ---------------------------------------------------------------------


def hammer(url: str, cookie: str, requests: int, concurrency: int, *, seconds: float = 0,
           until: Callable[[], bool] | None = None) -> list[float]:  # fmt: skip
    """GET the page `requests` times over `concurrency` keep-alive connections, or for `seconds`
    and until `until()` says stop; latencies in ms. Any answer but 200 stops the bench."""
    if shutil.which("wrk"):
        return wrk(url, cookie, seconds or max(5, requests // 20), concurrency)
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    path = "/" + url.split("//", 1)[1].split("/", 1)[1]
    deadline = time.monotonic() + seconds if seconds else None
    latencies: list[float] = []
    failures: list[str] = []
    left = [requests]
    lock = threading.Lock()

    def done() -> bool:
        if failures or (until is not None and until()):
            return True
        return time.monotonic() > deadline if deadline else left[0] <= 0

    def worker() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        while True:
            with lock:
                if done():
                    break
                left[0] -= 1
            start = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            with lock:
                if response.status != 200:
                    failures.append(f"{path} answered {response.status}")
                latencies.append((time.perf_counter() - start) * 1000)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(failures[0])
    return latencies


# wrk prints p50/75/90/99 only: this script prints its exact p50 and p95 (in microseconds) at the end
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("P50_US %d\\n", latency:percentile(50)))
  io.write(string.format("P95_US %d\\n", latency:percentile(95)))
end
"""


def wrk(url: str, cookie: str, seconds: float, concurrency: int) -> list[float]:
    """wrk's own percentiles, as a list whose p95 is wrk's p95 (it reports no raw latencies)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        done = subprocess.run(  # noqa: S603
            [shutil.which("wrk") or "wrk", f"-c{concurrency}", f"-t{concurrency}",
             f"-d{max(1, int(seconds))}s", "-s", script.name, "-H", f"Cookie: {cookie}", url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    found = dict(line.split() for line in done.stdout.splitlines() if line.startswith("P"))
    if "P50_US" not in found or "P95_US" not in found:
        raise SystemExit("wrk printed no latency distribution:\n" + done.stdout)
    p50, p95_ms = int(found["P50_US"]) / 1000, int(found["P95_US"]) / 1000
    return [p50] * 50 + [p95_ms] * 50


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def p95(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=20)[18]


def main() -> None:
    try:
        run()
    finally:  # the made-up files and the feed files' folder go with the run
        for folder in TEMPORARY:
            shutil.rmtree(folder, ignore_errors=True)


def run() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="idle requests")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run the busy import at this niceness (a feeds worker "
        "started under `nice`); the database's own work is not niced",
    )
    args = parser.parse_args()
    setup()
    first_source, second_source, cookie = prepare()
    folder = Path(tempfile.mkdtemp(prefix="bench-feeds-files-"))
    TEMPORARY.append(str(folder))
    first_file, second_file = folder / "first.csv", folder / "second.csv"
    street_file(first_file, args.rows, seed=1)
    street_file(second_file, args.rows, seed=2)
    print(f"client: {'wrk' if shutil.which('wrk') else 'threaded urllib (wrk not installed)'}")

    copy_rps = copy_baseline(first_file)
    print(f"COPY     {copy_rps:9.0f} rows/s")
    counts = finished(start_import(first_source, first_file), "the first import")
    first = latest_batch(first_source)
    rps = import_rps(first)
    print(f"import   {rps:9.0f} rows/s  ({counts}, {rps / copy_rps:.0%} of COPY)")
    parsing = parse_rps(first_source, first_file)
    print(f"read, check and hash only, no database: {parsing:9.0f} rows/s")

    from tests.servers import Daphne, running

    # DEBUG on for the page server only: with it off, static files need a collectstatic manifest
    # in the checkout's STATIC_ROOT, which a bench must not write. Idle and busy alike.
    page_server = Daphne(env={"DEBUG": "True"}, settings_module="bench.settings")
    with running(page_server) as (server,):
        url = server.base_url + "/console/"
        try:
            hammer(url, cookie, 30, args.concurrency)  # warm: templates, connections
        except SystemExit:
            print(server.log_tail(), file=sys.stderr)
            raise
        idle = hammer(url, cookie, args.requests, args.concurrency)
        print(f"queue idle  p95 {p95(idle):7.1f} ms  ({len(idle)} requests)")
        second = start_import(second_source, second_file, args.nice)
        while (batch := latest_batch(second_source)) is None or batch.rows_done == 0:  # type: ignore[attr-defined]
            if second.poll() is not None:
                break
            time.sleep(0.05)
        # as long as the import runs (wrk, which cannot watch it: 80% of the first one's time)
        busy = hammer(url, cookie, 0, args.concurrency, seconds=0.8 * args.rows / rps,
                      until=lambda: second.poll() is not None)  # fmt: skip
        overlapped = second.poll() is None
        print(
            f"queue busy  p95 {p95(busy):7.1f} ms  ({len(busy)} requests, import still running at the end: {overlapped})"
        )
        finished(second, "the second import")

    from feeds.models import FeedRecord

    lost = 0
    for source in (first_source, second_source):
        batch = latest_batch(source)
        lost += args.rows - FeedRecord.objects.filter(source=source).count()
        lost += args.rows - batch.rows  # type: ignore[attr-defined]
    load = os.getloadavg()[0]
    idle_p95, busy_p95 = p95(idle), p95(busy)
    print(
        f"RESULT rows={args.rows} copy_rps={copy_rps:.0f} import_rps={rps:.0f} "
        f"ratio={rps / copy_rps:.2f} queue_p95_idle_ms={idle_p95:.1f} "
        f"queue_p95_busy_ms={busy_p95:.1f} queue_ratio={busy_p95 / idle_p95:.2f} lost={lost} "
        f"goal_met={rps / copy_rps >= 0.25 and busy_p95 <= 1.5 * idle_p95 and lost == 0} "
        f"parse_rps={parsing:.0f} nice={args.nice} load1={load:.1f}"
    )


if __name__ == "__main__":
    main()
