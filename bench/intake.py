"""SMS webhook throughput and latency under production's HTTP server (bin/serve-http) on the real
parts (PostgreSQL + Redis), against a hello-world view served the same way, in one run, with wrk.

    python bench/intake.py [--duration 10] [--connections 50] [--workers 4]
    python bench/intake.py --sustain 60      # the stretch goal: 1,000 SMS/s for a minute

Each SMS is a new message (its own MessageSid) from one of 1,000 numbers (Ofcom's drama range),
signed like Twilio's for the server's address, written to a file beforehand; bench/intake.lua
posts each exactly once. Afterwards the database is counted: lost = acknowledged but not stored,
dup = MessageSids stored more than once (the unique (channel, source id) constraint on reports
makes that impossible; counted all the same). Needs PostgreSQL and Redis on 127.0.0.1 (the
`lantern_bench` database and Redis db 14 unless DATABASE_URL and REDIS_URL say otherwise)."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.production import ensure_database, production_env, write_signed  # noqa: E402 - once the checkout is on the path

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lantern_bench")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
TOKEN = "bench-auth-token"  # noqa: S105 - a made-up token for this run only
os.environ.update(
    DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="bench.settings"
)


def prepare_database() -> None:
    import django

    ensure_database(DATABASE_URL)
    django.setup()
    from django.core.management import call_command

    from accounts.models import Organisation

    call_command("migrate", verbosity=0)
    Organisation.objects.update_or_create(
        slug="bench-helpline",
        defaults={"name": "Bench", "kind": "helpline", "phone_number": "+447700900000"},
    )
    Organisation.objects.exclude(slug="bench-helpline").filter(kind="helpline").update(
        is_active=False
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does in production: plans fit the data


# Bodies to write per second of the run: above anything this machine can take, so none repeats.
BODIES_PER_SECOND = 3000
LUA = ROOT / "bench" / "intake.lua"


def write_bodies(base_url: str, prefix: str, count: int, threads: int, path: str) -> None:
    """`count` signed SMS in `threads` files, "<signature> <body>" per line; MessageSid is SM,
    the run's 8-digit prefix and a 24-digit serial (34 characters, like Twilio's)."""
    rows = (
        {
            "MessageSid": f"SM{prefix}{i:024d}",
            "From": f"+447700900{i % 1000:03d}",
            "To": "+447700900000",
            "Body": "Made-up benchmark message",
        }
        for i in range(count)
    )
    write_signed(base_url + "/intake/twilio/sms/", rows, threads, path, TOKEN)


def wrk(url: str, *, seconds: int, connections: int, threads: int, bodies: str = "") -> dict:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", str(LUA), url]  # fmt: skip
    if bodies:
        argv += ["--", bodies]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 60)  # noqa: S603
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRK "))
    result = {key: float(value) for key, value in re.findall(r"(\w+)=([\d.]+)", line)}
    result["rps"] = result["requests"] / result["seconds"]
    return result


def show(label: str, r: dict) -> None:
    print(
        f"{label:<7} {r['rps']:7.0f} req/s  p50 {r['p50_us'] / 1000:6.1f} ms  "
        f"p99 {r['p99_us'] / 1000:6.1f} ms  non-2xx {r['non2xx']:.0f}  "
        f"socket errors {r['socket_errors']:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10, help="seconds of each load")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--workers", type=int, default=0, help="bin/serve-http's (its default)")
    parser.add_argument("--sustain", type=int, default=0, help="seconds of SMS alone at full rate")
    args = parser.parse_args()
    seconds = args.sustain or args.duration

    prepare_database()
    from django.db.models import Count

    from cases.models import Report
    from tests.servers import ServeHttp, running, send, signed_request

    # As in production (DEBUG off), but plain HTTP on loopback.
    env = production_env(TWILIO_AUTH_TOKEN=TOKEN)
    server = ServeHttp(env=env, settings_module="bench.settings", workers=args.workers or 2)
    if not args.workers:
        del server.env["WEB_CONCURRENCY"]  # bin/serve-http's own default
    prefix = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp, running(server):
        bodies = f"{tmp}/sms"
        write_bodies(server.base_url, prefix, seconds * BODIES_PER_SECOND, args.threads, bodies)
        for i in range(20):  # warm up every worker's connections and code paths
            send(signed_request(server.base_url, "/intake/twilio/sms/", {
                "MessageSid": f"SMwarm{prefix}{i:020d}", "From": f"+447700901{i:03d}",
                "To": "+447700900000", "Body": "Made-up warm-up message"}, TOKEN))  # fmt: skip
        load = {"connections": args.connections, "threads": args.threads}
        hello = wrk(server.base_url + "/bench/hello/", seconds=min(seconds, 10), **load)
        show("hello", hello)
        sms = wrk(server.base_url + "/intake/twilio/sms/", seconds=seconds, bodies=bodies, **load)
        show("intake", sms)
        log = server.log_tail()

    ours = Report.objects.filter(channel="sms", source_id__startswith=f"SM{prefix}")
    stored = ours.count()
    dup = ours.values("source_id").annotate(n=Count("id")).filter(n__gt=1).count()
    acknowledged = int(sms["requests"] - sms["non2xx"])
    # wrk counts answers it read; a request still in flight when the time was up may be stored
    # without being counted, so stored can exceed acknowledged, never the other way round
    lost = max(acknowledged - stored, 0)
    if lost or dup or sms["non2xx"] or sms["wrapped"]:
        print(log, file=sys.stderr)
    sustained = f" sustain_s={args.sustain}" if args.sustain else ""
    print(
        f"RESULT intake_rps={sms['rps']:.0f} hello_rps={hello['rps']:.0f} "
        f"ratio={sms['rps'] / hello['rps']:.2f} p50_ms={sms['p50_us'] / 1000:.1f} "
        f"p99_ms={sms['p99_us'] / 1000:.1f} lost={lost} dup={dup} non2xx={sms['non2xx']:.0f} "
        f"socket_errors={sms['socket_errors']:.0f} acknowledged={acknowledged} stored={stored} "
        f"hello_p99_ms={hello['p99_us'] / 1000:.1f} connections={args.connections}{sustained}"
    )


if __name__ == "__main__":
    main()
