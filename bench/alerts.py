"""How long after an SMS webhook is answered do operators' live queues hear of the new case?

    python bench/alerts.py [--events 15] [--sizes 100,500,1000] [--quiet 6] [--sessions each]
                           [--profile DIR]

The production layout (README "Production layout"): signed SMS webhooks go to bin/serve-http
(gunicorn), and for each size that many operator sockets are held open on /ws/helpline/ across TWO
bin/serve-ws processes (daphne), all sharing PostgreSQL and Redis (DATABASE_URL and REDIS_URL;
default `lantern_bench` and db 14, as bench/intake.py). Webhooks are sent one at a time, each from
a number with no open case, so each opens a case; the latency is from the webhook's 200 answer to
each socket receiving that case's `case.created`. Every event passes through the consumer's
per-event re-check of the session (AUTH-07), so this measures that too: with `--sessions each`
(the default) every socket is a different operator signed in with a session of their own, as on a
real helpline; `--sessions one` shares one operator's session among all sockets (cheaper checks).
In the same run, the same small JSON is broadcast to the same number of sockets by a bare aiohttp
websocket server (one process, no auth, no database, no Redis) as the baseline.

`--profile DIR` runs each socket process under cProfile and leaves its profile in DIR (written when
the process stops; read with `python -m pstats`).

Lantern's sockets first sit idle for --quiet seconds, as real consoles do between reports (longer
than channels_redis's 5 s blocking pop, which the project's layer settings must survive).

Latencies can be a little below zero: the broadcast is sent on commit, before gunicorn writes the
answer, so a socket may hear of the case before the client has read the 200. The client holding all the
sockets is one asyncio process on the same machine, so it competes with the servers for CPU; the
baseline pays that too, so on a busy machine compare the `cpu_ms` figures as well: the socket
servers' CPU time per event (both processes together), which hardly depends on the load around.
Made-up data only. `ratio_500` = Lantern's p99 / the bare p99 at 500; `goal_500` and `goal_1000`
say whether the issue's goals (p99 < 150 ms and < 250 ms, nothing lost) were met."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.production import production_env  # noqa: E402 - once the checkout is on the path

TOKEN = "bench-alerts-auth-token"  # made-up, this run only
HELPLINE_SLUG = "bench-alerts-helpline"
OPERATOR_USERNAME = "bench-alerts-operator"  # the first; the others add -2, -3...
HELPLINE_NUMBER = "+447700900998"  # Ofcom's drama range; intake.py's bench uses +447700900000
SENDER_PREFIX = "+447700900"  # senders +447700900000..999: the drama range
EVENT_TIMEOUT = 20.0  # seconds to wait for every socket to hear of one case
# As in production (DEBUG off), plain HTTP on loopback; the bench process shares the secret key
# with both servers, since it signs the session they will read.
SERVER_ENV = production_env(
    TWILIO_AUTH_TOKEN=TOKEN,
    SMS_ACK_TEXT="",
    # Four Lantern processes run at once, each with its pool, on a PostgreSQL other benches share:
    # one webhook at a time and one database thread per socket process need no more.
    DB_POOL_MIN="1",
    DB_POOL_MAX="4",
)


# The bare baseline server (run as a child process: `alerts.py --bare-server PORT`) ------------------


def bare_server(port: int) -> None:
    """Holds websockets; POST /broadcast answers 200, then sends its body to every socket."""
    from aiohttp import WSMsgType, web

    sockets: set[web.WebSocketResponse] = set()
    background: set[asyncio.Task[None]] = set()

    async def ws(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        sockets.add(socket)
        try:
            async for message in socket:
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            sockets.discard(socket)
        return socket

    async def fan_out(text: str) -> None:
        await asyncio.gather(*(s.send_str(text) for s in list(sockets)), return_exceptions=True)

    async def broadcast(request: web.Request) -> web.Response:
        task = asyncio.create_task(fan_out(await request.text()))
        background.add(task)
        task.add_done_callback(background.discard)
        return web.Response(text="ok")

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.add_routes(
        [web.get("/ws", ws), web.post("/broadcast", broadcast), web.get("/healthz/", healthz)]
    )
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


class BareServer:
    def __init__(self) -> None:
        from tests.servers import free_port

        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> BareServer:
        import subprocess
        import urllib.request

        from tests.servers import _wait_for

        self.process = subprocess.Popen(
            [sys.executable, __file__, "--bare-server", str(self.port)], cwd=ROOT
        )

        def healthy() -> bool:
            with urllib.request.urlopen(self.base_url + "/healthz/", timeout=2) as response:
                return response.status == 200

        _wait_for(healthy, "bare server")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


# Lantern's side: database, the operator and their verified session ------------------------------


def prepare(operators: int) -> list[tuple[str, str]]:
    """The bench database as bench/intake.py prepares it, plus this bench's own helpline (so the
    two benches never share cases) and that many operators, each with a 2FA-verified session of
    their own. Returns their session cookies' names and values."""
    os.environ.update(SERVER_ENV)
    from bench.intake import prepare_database

    prepare_database()
    from accounts.models import Organisation

    helpline, _ = Organisation.objects.update_or_create(
        slug=HELPLINE_SLUG,
        defaults={
            "name": "Bench alerts",
            "kind": "helpline",
            "is_active": True,
            "phone_number": HELPLINE_NUMBER,
        },
    )
    return [verified_session(bench_operator(helpline, n)) for n in range(operators)]


def bench_operator(helpline, n: int):  # type: ignore[no-untyped-def]
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from accounts.services import set_role

    user, _ = User.objects.update_or_create(
        username=OPERATOR_USERNAME + (f"-{n + 1}" if n else ""),
        defaults={"organisation": helpline, "is_active": True, "email": "op@lantern.invalid"},
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    set_role(user=user, role=User.Role.OPERATOR)
    TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    return user


def verified_session(user) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """What a real sign-in with password and TOTP leaves in the session store."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.middleware import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY

    now = time.time()
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store.update(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            DEVICE_ID_SESSION_KEY: TOTPDevice.objects.get(user=user, name="bench").persistent_id,
            SESSION_STARTED_KEY: now,
            SESSION_LAST_SEEN_KEY: now,
        }
    )
    store.create()
    return settings.SESSION_COOKIE_NAME, store.session_key


def close_open_cases() -> None:
    """Every SMS must open a new case (not join its number's open one): end this bench's own
    helpline's open cases first. A bench shortcut past the workflow, on the bench database only."""
    from accounts.models import Organisation
    from cases.models import Case
    from cases.services import OPEN_STATUSES

    helpline = Organisation.objects.get(slug=HELPLINE_SLUG)
    Case.objects.filter(helpline=helpline, status__in=OPEN_STATUSES).update(status="closed")


def signed_sms(base_url: str, sender: int) -> tuple[bytes, dict[str, str]]:
    from django.utils.datastructures import MultiValueDict
    from twilio.request_validator import RequestValidator

    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "From": f"{SENDER_PREFIX}{sender % 1000:03d}",
        "To": HELPLINE_NUMBER,
        "Body": "Made-up benchmark message",
    }
    signature = RequestValidator(TOKEN).compute_signature(
        base_url + "/intake/twilio/sms/", MultiValueDict({k: [v] for k, v in params.items()})
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return urlencode(params).encode(), headers


def forget_old_subscribers() -> None:
    """Drop channel-layer group members left by earlier runs' killed servers: a group_send to them
    costs a little each, and they would pile up run after run (they expire only after a day)."""
    import redis
    from django.conf import settings

    from accounts.models import Organisation, User

    helpline = Organisation.objects.get(slug=HELPLINE_SLUG)
    users = User.objects.filter(username__startswith=OPERATOR_USERNAME).values_list("pk", flat=True)
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(f"asgi:group:helpline.{helpline.pk}", *(f"asgi:group:user.{pk}" for pk in users))
    client.close()


# The client: many sockets in one asyncio process -------------------------------------------------


@dataclass
class Arrivals:
    """When each socket heard of each case (by number), and which sockets broke (a broken socket
    is no longer waited for: it is counted, and shows as missing deliveries)."""

    live: int = 0
    times: dict[str, list[float]] = field(default_factory=dict)
    complete: dict[str, asyncio.Event] = field(default_factory=dict)
    close_codes: list[int | None] = field(default_factory=list)

    def heard(self, number: str) -> None:
        self.times.setdefault(number, []).append(time.perf_counter())
        self._settle(number)

    def broke(self, code: int | None) -> None:
        self.close_codes.append(code)
        self.live -= 1
        for number in self.complete:
            self._settle(number)

    def event(self, number: str) -> asyncio.Event:
        return self.complete.setdefault(number, asyncio.Event())

    def _settle(self, number: str) -> None:
        if len(self.times.get(number, ())) >= self.live:
            self.event(number).set()


async def hold_socket(session, url: str, headers: dict[str, str], arrivals: Arrivals, ready):  # type: ignore[no-untyped-def]
    """Connect, and report every case.created this socket hears until it is closed."""
    import aiohttp
    from aiohttp import WSMsgType

    try:
        socket = await session.ws_connect(
            url,
            headers=headers,
            heartbeat=None,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=10),
        )
    except Exception as exc:
        ready.set_exception(exc)
        return
    arrivals.live += 1
    ready.set_result(socket)
    async for message in socket:
        if message.type != WSMsgType.TEXT:
            break
        event = json.loads(message.data)
        if event.get("type") == "case.created":
            arrivals.heard(event["case"]["number"])
    if socket.close_code not in (None, 1000):
        arrivals.broke(socket.close_code)


async def open_sockets(session, urls: list[str], headers: list[dict[str, str]], arrivals: Arrivals):  # type: ignore[no-untyped-def]
    """Open one socket per url (with the headers of the same index), 25 handshakes at a time (a
    console fleet reconnecting)."""
    gate = asyncio.Semaphore(25)
    readers: list[asyncio.Task[None]] = []

    async def one(url: str, sent: dict[str, str]):  # type: ignore[no-untyped-def]
        async with gate:
            ready = asyncio.get_running_loop().create_future()
            readers.append(asyncio.create_task(hold_socket(session, url, sent, arrivals, ready)))
            return await ready

    results = await asyncio.gather(*map(one, urls, headers), return_exceptions=True)
    sockets = [r for r in results if not isinstance(r, BaseException)]
    failures = [r for r in results if isinstance(r, BaseException)]
    return sockets, readers, failures


async def wait_for_all(arrivals: Arrivals, number: str | None, since: float) -> str | None:
    """The number of the case whose event arrived after `since` (found by the first arrival when
    it is not known in advance), once every live socket has it or the wait times out."""
    deadline = since + EVENT_TIMEOUT
    while number is None and time.perf_counter() < deadline:
        number = next((n for n, t in arrivals.times.items() if t and t[0] >= since), None)
        if number is None:
            await asyncio.sleep(0.001)
    if number is None:
        return None
    with contextlib.suppress(TimeoutError):  # reported as missing
        await asyncio.wait_for(arrivals.event(number).wait(), deadline - time.perf_counter())
    return number


@dataclass
class Run:
    label: str
    sockets: int
    latencies_ms: list[float] = field(default_factory=list)
    missing: int = 0
    connect_failures: int = 0
    close_codes: list[int | None] = field(default_factory=list)
    cpu_ms_per_event: float = float("nan")  # the socket servers' CPU, all processes together
    note: str = ""

    def p(self, q: int) -> float:
        if len(self.latencies_ms) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[q - 1]

    def line(self) -> str:
        lat = self.latencies_ms
        broken = dict(Counter(self.close_codes)) or 0
        return (
            f"{self.label:<8} sockets {self.sockets:4d}  samples {len(lat):6d}  "
            f"p50 {self.p(50):7.1f} ms  p99 {self.p(99):7.1f} ms  "
            f"min {min(lat, default=float('nan')):6.1f}  max {max(lat, default=float('nan')):7.1f}  "
            f"server CPU {self.cpu_ms_per_event:5.1f} ms/event  "
            f"missing {self.missing}  connect failures {self.connect_failures}  "
            f"closed by server {broken}" + (f"  ({self.note})" if self.note else "")
        )


# A trigger makes one event happen: (when it was sent, when it was answered, the case number if
# known in advance, an error if it failed).
Trigger = Callable[[Any, int], Awaitable[tuple[float, float, str | None, str | None]]]


async def measure(
    label: str,
    ws_urls: list[str],
    headers: list[dict[str, str]],
    trigger: Trigger,
    events: int,
    servers: list[Any],
    quiet: float = 0,
) -> Run:
    """Open the sockets, leave them quiet for a while, make events happen one at a time, and time
    each socket's delivery from the trigger's answer. The first event warms up, not counted. The
    CPU time the socket `servers` spent over the counted events is kept too: unlike latency, it
    barely depends on what else the machine is doing."""
    import aiohttp

    run = Run(label, len(ws_urls))
    arrivals = Arrivals()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets, readers, failures = await open_sockets(session, ws_urls, headers, arrivals)
        run.connect_failures = len(failures)
        if failures:
            run.note = f"first connect failure: {failures[0]!r}"[:200]
        await asyncio.sleep(quiet)
        for k in range(events + 1):
            if k == 1:
                cpu_before = cpu_seconds(servers)
            since, answered, number, error = await trigger(session, k)
            if error:
                run.note = error
                break
            number = await wait_for_all(arrivals, number, since)
            heard = arrivals.times.get(number, []) if number else []
            if k:
                run.latencies_ms += [(t - answered) * 1000 for t in heard]
                run.missing += len(sockets) - len(heard)
        if events and not run.note:
            run.cpu_ms_per_event = (cpu_seconds(servers) - cpu_before) * 1000 / events
        await close_all(sockets, readers)
    run.close_codes = arrivals.close_codes
    return run


def sms_trigger(server, first_sender: int) -> Trigger:  # type: ignore[no-untyped-def]
    """A signed SMS from a new number."""

    async def trigger(session, k: int):  # type: ignore[no-untyped-def]
        body, headers = signed_sms(server.base_url, first_sender + k)
        since = time.perf_counter()
        url = server.base_url + "/intake/twilio/sms/"
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            answered = time.perf_counter()
        error = None if response.status == 200 else f"webhook answered {response.status}"
        return since, answered, None, error

    return trigger


def bare_trigger(server: BareServer) -> Trigger:
    """The same small JSON as a case.created event, broadcast by the bare server."""

    async def trigger(session, k: int):  # type: ignore[no-untyped-def]
        number = f"BARE-{uuid.uuid4().hex[:8]}"
        event = {
            "type": "case.created",
            "case": {
                "number": number,
                "status": "new",
                "channel": "sms",
                "priority": "standard",
                "created_at": "2025-01-01T12:00:00+00:00",
                "claimed_by": None,
                "team": None,
            },
        }
        since = time.perf_counter()
        async with session.post(server.base_url + "/broadcast", json=event) as response:
            await response.read()
            answered = time.perf_counter()
        return since, answered, number, None

    return trigger


def cpu_seconds(servers: list[Any]) -> float:
    """User + system CPU time so far of the servers' processes (Linux /proc)."""
    total = 0
    for server in servers:
        with open(f"/proc/{server.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


async def close_all(sockets: list, readers: list[asyncio.Task[None]]) -> None:  # type: ignore[type-arg]
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    await asyncio.wait(readers, timeout=10)


# Main --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=15, help="counted SMS per size")
    parser.add_argument("--sizes", default="100,500,1000")
    parser.add_argument(
        "--quiet",
        type=float,
        default=6,
        help="seconds Lantern's sockets sit idle before the first SMS, as consoles do between "
        "reports (over channels_redis's 5 s blocking pop)",
    )
    parser.add_argument(
        "--sessions",
        choices=["each", "one"],
        default="each",
        help="each socket a different operator's session, or all sockets one operator's",
    )
    parser.add_argument("--profile", type=Path, help="leave each socket process's cProfile here")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server)
        return

    began = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",")]
    cookies = prepare(max(sizes) if args.sessions == "each" else 1)
    print(
        f"layout: bin/serve-http (gunicorn) for webhooks, 2 x bin/serve-ws (daphne) for sockets; "
        f"{len(cookies)} operator session(s)",
        flush=True,
    )
    runs = run_all(sizes, args.events, args.quiet, cookies, "bench.settings", SERVER_ENV,
                   profile=args.profile)  # fmt: skip
    print(f"total {time.perf_counter() - began:.0f} s on {os.cpu_count()} cores", flush=True)
    print(result_line(runs, sizes))


def socket_servers(env: dict[str, str], settings_module: str, profile: Path | None) -> list:  # type: ignore[type-arg]
    """Two bin/serve-ws processes; under cProfile (each its own file in `profile`) if asked."""
    from tests.servers import ServeWs

    servers = [ServeWs(env=env, settings_module=settings_module) for _ in range(2)]
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
        for n, server in enumerate(servers, 1):
            wrapper = profile / f"python-{n}"
            wrapper.write_text(
                f'#!/bin/sh\nexec {sys.executable} -m cProfile -o {profile}/serve-ws-{n}.prof "$@"\n'
            )
            wrapper.chmod(0o755)
            server.env["PYTHON"] = str(wrapper)
    return servers


def run_all(
    sizes: list[int],
    events: int,
    quiet: float,
    cookies: list[tuple[str, str]],
    settings_module: str,
    env: dict[str, str],
    profile: Path | None = None,
) -> dict[tuple[str, int], Run]:
    from tests.servers import ServeHttp, running

    runs: dict[tuple[str, int], Run] = {}
    web = ServeHttp(env=env, settings_module=settings_module)
    sockets = socket_servers(env, settings_module, profile)
    # One public address for all three, as behind the reverse proxy: sockets are accepted only
    # from PUBLIC_BASE_URL's origin, and Twilio signs that URL.
    for server in sockets:
        server.env["PUBLIC_BASE_URL"] = web.base_url
    with running(web, *sockets, BareServer()) as (web, first, second, bare):
        for index, size in enumerate(sizes):
            close_open_cases()
            forget_old_subscribers()
            ws_urls = [
                (first, second)[i % 2].base_url.replace("http", "ws", 1) + "/ws/helpline/"
                for i in range(size)
            ]
            headers = [
                {"Cookie": f"{name}={value}", "Origin": web.base_url}
                for name, value in (cookies[i % len(cookies)] for i in range(size))
            ]
            trigger = sms_trigger(web, first_sender=index * (events + 1))
            runs["lantern", size] = asyncio.run(
                measure("lantern", ws_urls, headers, trigger, events, [first, second], quiet)
            )
            print(runs["lantern", size].line(), flush=True)
            bare_urls = [bare.base_url.replace("http", "ws", 1) + "/ws"] * size
            runs["bare", size] = asyncio.run(
                measure("bare", bare_urls, [{}] * size, bare_trigger(bare), events, [bare])
            )
            print(runs["bare", size].line(), flush=True)
        if any(r.connect_failures or r.close_codes for r in runs.values()):
            for server in (web, first):
                errors = [
                    line for line in server.log_tail(2000).splitlines() if "Exception" in line
                ]
                print("errors (last 3):", *errors[-3:], sep="\n", file=sys.stderr)
    return runs


# The goals: p99 from the webhook's answer to every socket, by number of sockets.
GOALS_P99_MS = {500: 150.0, 1000: 250.0}


def result_line(runs: dict[tuple[str, int], Run], sizes: list[int]) -> str:
    parts = []
    for size in sizes:
        lantern, bare = runs["lantern", size], runs["bare", size]
        parts += [
            f"sockets_{size}_p50_ms={lantern.p(50):.1f}",
            f"sockets_{size}_p99_ms={lantern.p(99):.1f}",
            f"bare_{size}_p99_ms={bare.p(99):.1f}",
            f"sockets_{size}_cpu_ms={lantern.cpu_ms_per_event:.1f}",
            f"bare_{size}_cpu_ms={bare.cpu_ms_per_event:.1f}",
        ]
        if size in GOALS_P99_MS:
            lost = lantern.missing or lantern.connect_failures or lantern.close_codes
            met = lantern.p(99) < GOALS_P99_MS[size] and not lost
            parts += [
                f"ratio_{size}={lantern.p(99) / bare.p(99):.1f}",
                f"goal_{size}={'met' if met else 'missed'}",
            ]
    parts += [
        f"missing={sum(r.missing for r in runs.values())}",
        f"connect_failures={sum(r.connect_failures for r in runs.values())}",
        f"server_closes={sum(len(r.close_codes) for r in runs.values())}",
    ]
    return "RESULT " + " ".join(parts)


if __name__ == "__main__":
    main()
