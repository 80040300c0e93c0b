"""SMS webhook throughput and latency through daphne on the real parts (PostgreSQL + Redis),
against a hello-world view on the same server, in one run.

    python bench/intake.py [--requests 2000] [--concurrency 50]

Each SMS is a new message from one of 1,000 numbers (Ofcom's drama range), signed like Twilio's.
Needs PostgreSQL and Redis on 127.0.0.1 (the bench uses the `lantern_bench` database)."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lantern_bench")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
TOKEN = "bench-auth-token"  # noqa: S105 - a made-up token for this run only
os.environ.update(
    DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="bench.settings"
)


def prepare_database() -> None:
    import django
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
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


def signed_sms(base_url: str, i: int) -> tuple[bytes, dict[str, str]]:
    from django.utils.datastructures import MultiValueDict
    from twilio.request_validator import RequestValidator

    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "From": f"+447700900{i % 1000:03d}",
        "To": "+447700900000",
        "Body": "Made-up benchmark message",
    }
    signature = RequestValidator(TOKEN).compute_signature(
        base_url + "/intake/twilio/sms/", MultiValueDict({k: [v] for k, v in params.items()})
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return urlencode(params).encode(), headers


async def load(url: str, bodies: list[tuple[bytes | None, dict[str, str]]], concurrency: int):  # type: ignore[no-untyped-def]
    import aiohttp

    latencies: list[float] = []
    errors: dict[int, int] = {}
    queue = list(reversed(bodies))

    async def worker(session: aiohttp.ClientSession) -> None:
        while queue:
            body, headers = queue.pop()
            start = time.perf_counter()
            method = session.post if body is not None else session.get
            async with method(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    errors[response.status] = errors.get(response.status, 0) + 1
            latencies.append(time.perf_counter() - start)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, latencies, errors


def summary(
    label: str, rps: float, latencies: list[float], errors: dict[int, int]
) -> tuple[float, float, float]:
    p50 = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    print(
        f"{label:<7} {rps:7.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  errors {errors or 'none'}"
    )
    return rps, p50, p99


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()

    prepare_database()
    from cases.models import Report
    from tests.servers import Daphne, running

    # As in production (DEBUG off), but plain HTTP on loopback.
    env = {
        "TWILIO_AUTH_TOKEN": TOKEN,
        "DEBUG": "False",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "FIELD_ENCRYPTION_KEYS": "u7Bk4jFz0dPq3xW9mN2vR6tY8sL1aC5eG0hJ3kM6nQ8=",
        "BLIND_INDEX_KEY": "bench-" + uuid.uuid4().hex,
        "AUDIT_CHAIN_KEY": "bench-" + uuid.uuid4().hex,
        "EMAIL_URL": "smtp://127.0.0.1:1",  # required with DEBUG off; benches send no mail
    }
    with running(Daphne(env=env, settings_module="bench.settings")) as (server,):
        sms_url = server.base_url + "/intake/twilio/sms/"
        bodies = [signed_sms(server.base_url, i) for i in range(args.requests)]
        hello = [(None, {})] * args.requests
        asyncio.run(
            load(server.base_url + "/bench/hello/", hello[:200], args.concurrency)
        )  # warm up
        before = Report.objects.count()
        h_rps, h_p50, h_p99 = summary(
            "hello", *asyncio.run(load(server.base_url + "/bench/hello/", hello, args.concurrency))
        )
        s_rps, s_p50, s_p99 = summary(
            "intake", *asyncio.run(load(sms_url, bodies, args.concurrency))
        )
        stored = Report.objects.count() - before
        if stored != args.requests:
            print(server.log_tail(), file=sys.stderr)

    print(
        f"RESULT intake_rps={s_rps:.0f} hello_rps={h_rps:.0f} ratio={s_rps / h_rps:.2f} "
        f"p50_ms={s_p50:.1f} p99_ms={s_p99:.1f} hello_p50_ms={h_p50:.1f} hello_p99_ms={h_p99:.1f} "
        f"p99_ratio={s_p99 / h_p99:.2f} concurrency={args.concurrency} stored={stored}/{args.requests}"
    )


if __name__ == "__main__":
    main()
