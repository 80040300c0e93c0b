"""A soak: the production layout under a bounded, mixed load for --minutes, on loopback.

    python bench/soak.py [--minutes 10] [--consoles 20]

The script starts the layout itself: bin/serve-http (gunicorn), two bin/serve-ws (daphne), one
Celery worker, on PostgreSQL (`lantern_bench_soak`, or DATABASE_URL) and Redis (db 13, or
REDIS_URL), DEBUG off. Locust (bench/soak_locustfile.py) plays Twilio (signed SMS, some retried on
purpose, and calls), people sending the public form (some pressing Send twice), operators working
the queue through the API and pages, CSO representatives accepting referrals and logging services,
and monitors reading the dashboard and reports page. Beside it, operators' consoles (--consoles per
socket server) and monitors' dashboards hold their WebSockets, counting the events they hear.

Afterwards: every acknowledged report (MessageSid, CallSid, submission id) is counted in the
database (lost: acknowledged and not stored; duplicated: stored more than once); errors are
answers other than the expected ones, plus sockets that failed or were dropped; the RSS of every
server process (gunicorn master and workers, both daphne, the worker) is sampled every few seconds
and its growth measured from the end of the warm-up (the first 20%) to the end. p95 per page comes
from locust; the RESULT line's p95 per class is its slowest page's. Made-up data only."""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.alerts import SERVER_ENV as ALERTS_ENV  # noqa: E402
from bench.alerts import TOKEN  # noqa: E402
from bench.soak_watch import Memory, Sockets, Statistics  # noqa: E402

DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lantern_bench_soak"
)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ.update(
    DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="bench.settings"
)
HELPLINE_SLUG = "bench-soak-helpline"
HELPLINE_NUMBER = "+447700900997"  # Ofcom's drama range; the other benches use 000 and 998
CSO_SLUG = "bench-soak-cso"
# bench/alerts.py's production-like environment (DEBUG off, plain HTTP on loopback, a secret key
# shared with this script, which signs the sessions the servers read), with the form's
# per-address limit lifted (every locust reporter comes from 127.0.0.1) and web reports routed to
# this soak's helpline.
SERVER_ENV = {
    **ALERTS_ENV,
    "INTAKE_FORM_RATE": "1000000/h",
    "INTAKE_DEFAULT_HELPLINE": HELPLINE_SLUG,
}
# locust users of each kind, and the staff accounts they share
USERS = {"twilio": 3, "reporter": 2, "operator": 3, "cso": 2, "monitor": 2}
STAFF = {"operator": ("operator", 3), "cso": ("cso_rep", 2), "monitor": ("monitor", 2)}
PAGE_CLASSES = {
    "webhook": ("sms webhook", "sms retry", "voice webhook"),
    "form": ("report form", "report send", "report thanks"),
    "pages": ("console", "case page", "casework"),
    "api": (
        "api take-next",
        "api verify",
        "api refer",
        "api cases",
        "api case",
        "api accept",
        "api service",
    ),  # fmt: skip
    "dashboards": ("dashboard", "dashboard tiles", "reports page"),
}
SETTINGS = "bench.soak_settings"


def prepare() -> dict[str, object]:
    """The bench database (bench/intake.py's), this soak's organisations and staff, each with a
    verified session and an API token. Returns locust's configuration."""
    os.environ.update(SERVER_ENV)
    from bench.intake import prepare_database

    # after bench.intake's import, which names its own settings
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    prepare_database()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Organisation, User
    from accounts.services import issue_api_token, set_role
    from bench.alerts import verified_session
    from cases.models import Category

    def organisation(slug: str, kind: str, **extra: object) -> Organisation:
        return Organisation.objects.update_or_create(
            slug=slug, defaults={"name": slug, "kind": kind, "is_active": True, **extra}
        )[0]

    homes = {
        "operator": organisation(HELPLINE_SLUG, "helpline", phone_number=HELPLINE_NUMBER),
        "cso": organisation(CSO_SLUG, "cso"),
        "monitor": organisation("bench-soak-monitors", "monitor"),
    }
    staff: dict[str, list[dict[str, object]]] = {}
    for kind, (role, how_many) in STAFF.items():
        staff[kind] = []
        for i in range(how_many):
            user, _ = User.objects.update_or_create(
                username=f"bench-soak-{kind}-{i}",
                defaults={
                    "organisation": homes[kind],
                    "is_active": True,
                    "email": f"soak-{kind}-{i}@lantern.invalid",
                },  # fmt: skip
            )
            set_role(user=user, role=role)
            TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
            staff[kind].append(
                {"session": verified_session(user), "token": issue_api_token(user=user)}
            )
    return {
        "twilio_token": TOKEN,
        "helpline_number": HELPLINE_NUMBER,
        "cso": CSO_SLUG,
        "category": Category.objects.filter(is_active=True).values_list("code", flat=True)[0],
        "service_type": "counselling",
        "users": USERS,
        "staff": staff,
    }


def socket_targets(config: dict, ws_servers: list, web_url: str, consoles: int):  # type: ignore[no-untyped-def]
    """`consoles` operator sockets per socket server (spread over the operators' sessions) and
    one dashboard socket per monitor per server."""
    targets = []
    for server in ws_servers:
        ws_url = server.base_url.replace("http", "ws", 1)
        for i in range(consoles):
            name, value = config["staff"]["operator"][i % len(config["staff"]["operator"])][
                "session"
            ]
            targets.append(
                (f"{ws_url}/ws/helpline/", {"Cookie": f"{name}={value}", "Origin": web_url})
            )
        for monitor in config["staff"]["monitor"]:
            name, value = monitor["session"]
            targets.append(
                (f"{ws_url}/ws/dashboard/", {"Cookie": f"{name}={value}", "Origin": web_url})
            )
    return targets


def run_locust(base_url: str, config: dict, seconds: int, workdir: Path) -> tuple[dict, list, int]:  # type: ignore[type-arg]
    """Locust headless for `seconds`; returns (what it sent and had acknowledged, its stats rows,
    how many times a task raised)."""
    (workdir / "config.json").write_text(json.dumps(config))
    users = sum(USERS.values())
    subprocess.run(  # noqa: S603 - locust exits 1 when any request failed: read below, not here
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "soak_locustfile.py"),
            "--headless",
            "--host",
            base_url,
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "15",
            "--csv",
            str(workdir / "locust"),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],  # fmt: skip
        cwd=ROOT,
        env={
            **os.environ,
            "LANTERN_SOAK_CONFIG": str(workdir / "config.json"),
            "LANTERN_SOAK_LEDGER": str(workdir / "ledger.json"),
        },  # fmt: skip
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "locust.log").open("w"),
        timeout=seconds + 120,
    )
    if not (workdir / "ledger.json").exists():
        sys.exit("locust did not finish:\n" + (workdir / "locust.log").read_text()[-3000:])
    with open(workdir / "locust_stats.csv") as stats:  # noqa: PTH123
        rows = list(csv.DictReader(stats))
    failures = (workdir / "locust_failures.csv").read_text()
    if failures.count("\n") > 1:
        print("Failures:\n" + failures, file=sys.stderr)
    # an exception inside a task (a page not as expected) is counted apart from failed requests
    with open(workdir / "locust_exceptions.csv") as exceptions:  # noqa: PTH123
        crashes = list(csv.DictReader(exceptions))
    for crash in crashes:
        print(
            f"Exception in a task, {crash['Count']} times:\n{crash['Traceback']}", file=sys.stderr
        )
    exceptions_count = sum(int(crash["Count"]) for crash in crashes)
    return json.loads((workdir / "ledger.json").read_text()), rows, exceptions_count


def count_in_database(ledger: dict[str, list[str]]) -> tuple[int, int, int]:
    """(acknowledged, lost, duplicated) over every channel the soak sent on."""
    from cases.models import Report

    acknowledged = lost = duplicated = 0
    for channel in ("sms", "voice", "web"):
        sent = set(ledger[channel])
        stored: Counter[str] = Counter()
        ids = sorted(sent)
        for start in range(0, len(ids), 2000):
            stored.update(
                Report.objects.filter(
                    channel=channel, source_id__in=ids[start : start + 2000]
                ).values_list("source_id", flat=True)
            )
        acknowledged += len(sent)
        lost += len(sent - stored.keys())
        duplicated += sum(n - 1 for n in stored.values())
    return acknowledged, lost, duplicated


def p95_table(rows: list[dict[str, str]]) -> dict[str, float]:
    print(f"{'page':<22} {'requests':>8} {'failures':>8} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    p95 = {}
    for row in rows:
        if row["Name"] == "Aggregated":
            continue
        p95[row["Name"]] = float(row["95%"])
        print(f"{row['Name']:<22} {row['Request Count']:>8} {row['Failure Count']:>8} "
              f"{row['50%']:>7} {row['95%']:>7} {float(row['Max Response Time']):>7.0f}")  # fmt: skip
    return {
        kind: max((p95[n] for n in names if n in p95), default=float("nan"))
        for kind, names in PAGE_CLASSES.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--consoles", type=int, default=20, help="operator sockets per server")
    args = parser.parse_args()
    seconds = max(10, round(args.minutes * 60))

    began = time.monotonic()
    workdir = tempfile.TemporaryDirectory()
    os.environ["LANTERN_SOAK_STATIC_ROOT"] = workdir.name + "/static"
    config = prepare()
    from tests.servers import CeleryWorker, ServeHttp, ServeWs, running

    print(f"prepared in {time.monotonic() - began:.0f} s", flush=True)
    web = ServeHttp(env={}, settings_module=SETTINGS)
    ws_a, ws_b = (ServeWs(env={}, settings_module=SETTINGS) for _ in range(2))
    # one public address, as behind the reverse proxy: sockets are accepted only from the origin
    # of PUBLIC_BASE_URL
    ws_a.env["PUBLIC_BASE_URL"] = ws_b.env["PUBLIC_BASE_URL"] = web.base_url
    worker = CeleryWorker(env={"DJANGO_SETTINGS_MODULE": SETTINGS})
    with workdir, running(web, ws_a, ws_b, worker):
        memory = Memory({"gunicorn": web.process.pid, "daphne 1": ws_a.process.pid,
                         "daphne 2": ws_b.process.pid, "celery": worker.process.pid})  # fmt: skip
        sockets = Sockets(socket_targets(config, [ws_a, ws_b], web.base_url, args.consoles))
        statistics = Statistics(DATABASE_URL)
        memory.start()
        statistics.start()
        sockets.start()
        sockets.ready.wait(60)
        print(f"layout up in {time.monotonic() - began:.0f} s; load for {seconds} s", flush=True)
        ledger, rows, task_exceptions = run_locust(
            web.base_url, config, seconds, Path(workdir.name)
        )
        sockets.stop()
        memory.done.set()
        statistics.done.set()
        memory.join()
        crashed = [s.argv()[0] for s in (web, ws_a, ws_b) if s.process.poll() is not None]
        crashed += ["celery"] if worker.process.poll() is not None else []

    acknowledged, lost, duplicated = count_in_database(ledger)
    worst = p95_table(rows)
    total = next(row for row in rows if row["Name"] == "Aggregated")
    print(f"\n{'process':<28} {'RSS after warm-up':>18} {'RSS at end':>11} {'growth':>7}")
    growth = memory.growth(warm_up=seconds * 0.2)
    for label, (start, end, pct) in sorted(growth.items()):
        print(f"{label:<28} {start / 2**20:15.1f} MB {end / 2**20:8.1f} MB {pct:6.1f}%")
    print(f"\nsockets open {sockets.opened}, events heard {dict(sockets.events)}, "
          f"socket problems {sockets.failed or 'none'}; crashed servers {crashed or 'none'}; "
          f"acknowledged reports {acknowledged} (retries sent {len(ledger['retried'])})")  # fmt: skip
    errors = int(total["Failure Count"]) + task_exceptions + len(sockets.failed) + len(crashed)
    print(
        f"RESULT minutes={args.minutes:g} requests={total['Request Count']} errors={errors} "
        f"lost={lost} duplicated={duplicated} reports={acknowledged} "
        f"retries={len(ledger['retried'])} socket_events={sum(sockets.events.values())} "
        f"max_rss_growth_pct={max((g[2] for g in growth.values()), default=float('nan')):.1f} "
        + " ".join(f"p95_{kind}_ms={value:.0f}" for kind, value in worst.items())
    )


if __name__ == "__main__":
    main()
