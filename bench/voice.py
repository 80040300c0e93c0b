"""The incoming-call webhook's answer (issue 17: a call that rings five available operators) under
production's HTTP server (bin/serve-http) on the real parts (PostgreSQL + Redis), against a
hello-world view served the same way, in one run, with wrk (bench/intake.lua posts each signed
body exactly once).

    python bench/voice.py [--duration 10] [--connections 20]

Each call is a new CallSid from one of 1,000 made-up numbers, signed like Twilio's. Each answer
opens a case, makes its live.Call row and dials the helpline's five operators (a <Dial> with five
<Number>s and their whispers). The baseline of the same run: the same calls with nobody
available, the answer every call got before (greeting and <Record>), and a hello-world view.
Afterwards the database is counted: lost = acknowledged but no
Call row, dup = CallSids with more than one. Needs PostgreSQL and Redis on 127.0.0.1 (database
`lantern_h1_bench` and Redis db 1 unless DATABASE_URL and REDIS_URL say otherwise)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lantern_h1_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
from bench.intake import TOKEN, prepare_database, show, wrk  # noqa: E402 - after the defaults
from bench.production import production_env, write_signed  # noqa: E402

OPERATORS = 5
CALLS_PER_SECOND = 1500  # above what this machine answers: no body is sent twice


def add_operators(state: str = "available") -> None:
    """Five operators of the bench helpline, on duty and in `state`, each with a phone."""
    from accounts.models import Organisation, User
    from live.presence import set_state

    helpline = Organisation.objects.get(slug="bench-helpline")
    for i in range(OPERATORS):
        user, _ = User.objects.update_or_create(
            username=f"bench-operator-{i}",
            defaults={
                "organisation": helpline,
                "role": User.Role.OPERATOR,
                "is_active": True,
                "on_duty": True,
                "phone": f"+4477009006{i:02d}",
            },  # fmt: skip
        )
        set_state(user=user, state=state)


def write_calls(base_url: str, prefix: str, count: int, threads: int, path: str) -> None:
    """`count` signed incoming calls, like bench/intake.py's texts (CallSid: CA, prefix, serial)."""
    rows = (
        {
            "CallSid": f"CA{prefix}{i:024d}",
            "From": f"+447700900{i % 1000:03d}",
            "To": "+447700900000",
            "CallStatus": "ringing",
        }
        for i in range(count)
    )
    write_signed(base_url + "/intake/twilio/voice/", rows, threads, path, TOKEN)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10, help="seconds of calls")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    args = parser.parse_args()

    prepare_database()
    add_operators()
    from django.db.models import Count

    from cases.models import Case
    from live.models import Call
    from tests.servers import ServeHttp, running, send, signed_request

    env = production_env(TWILIO_AUTH_TOKEN=TOKEN)
    server = ServeHttp(env=env, settings_module="bench.settings", workers=2)
    del server.env["WEB_CONCURRENCY"]  # bin/serve-http's own default
    prefix = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp, running(server):
        bodies = f"{tmp}/calls"
        count = args.duration * CALLS_PER_SECOND
        write_calls(server.base_url, prefix, count, args.threads, bodies)
        # the baseline: the same calls when nobody is available (the answer before issue 17:
        # greeting and <Record>), other CallSids
        write_calls(server.base_url, prefix[::-1], count, args.threads, f"{tmp}/unrung")
        for i in range(10):  # warm up every worker's connections and code paths
            send(signed_request(server.base_url, "/intake/twilio/voice/", {
                "CallSid": f"CAwarm{prefix}{i:020d}", "From": f"+447700901{i:03d}",
                "To": "+447700900000", "CallStatus": "ringing"}, TOKEN))  # fmt: skip
        with urllib.request.urlopen(signed_request(server.base_url, "/intake/twilio/voice/", {  # noqa: S310
                "CallSid": f"CAlook{prefix}{0:020d}", "From": "+447700901999",
                "To": "+447700900000", "CallStatus": "ringing"}, TOKEN)) as one:  # fmt: skip
            dialled = one.read().decode().count("<Number")
        load = {"connections": args.connections, "threads": args.threads}
        hello = wrk(server.base_url + "/bench/hello/", seconds=min(args.duration, 8), **load)
        show("hello", hello)
        voice = wrk(server.base_url + "/intake/twilio/voice/", seconds=args.duration,
                    bodies=bodies, **load)  # fmt: skip
        show("voice", voice)
        time.sleep(3)  # the calls wrk left in flight finish ringing before the operators go
        add_operators("away")
        record = wrk(server.base_url + "/intake/twilio/voice/", seconds=args.duration,
                     bodies=f"{tmp}/unrung", **load)  # fmt: skip
        show("record", record)
        log = server.log_tail()

    ours = Call.objects.filter(call_sid__startswith=f"CA{prefix}")
    stored = ours.count()
    dup = ours.values("call_sid").annotate(n=Count("id")).filter(n__gt=1).count()
    rang_five = sum(len(rung) == OPERATORS for rung in ours.values_list("rung", flat=True))
    cases = Case.objects.filter(calls__in=ours).distinct().count()
    acknowledged = int(voice["requests"] - voice["non2xx"])
    lost = max(acknowledged - stored, 0)
    if lost or dup or voice["non2xx"] or voice["wrapped"] or rang_five != stored:
        print(log, file=sys.stderr)
    print(
        f"RESULT voice_rps={voice['rps']:.0f} record_rps={record['rps']:.0f} "
        f"hello_rps={hello['rps']:.0f} ratio={voice['rps'] / hello['rps']:.2f} "
        f"ring_vs_record={voice['rps'] / record['rps']:.2f} p50_ms={voice['p50_us'] / 1000:.1f} "
        f"p99_ms={voice['p99_us'] / 1000:.1f} record_p99_ms={record['p99_us'] / 1000:.1f} "
        f"lost={lost} dup={dup} "
        f"non2xx={voice['non2xx']:.0f} acknowledged={acknowledged} calls={stored} cases={cases} "
        f"rang_{OPERATORS}={rang_five} numbers_in_answer={dialled} connections={args.connections}"
    )


if __name__ == "__main__":
    main()
