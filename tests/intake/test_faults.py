"""Nothing lost (SECURITY C-1, C-3, C-3h, C-4, C-5, C-10), on the real parts: a daphne process on
loopback, PostgreSQL, Redis. After each scenario the ledger of what was sent must match the
database: every acknowledged report stored exactly once with one case, nothing stored for a
rejected one. Faults are made on loopback (tests/intake/tcp.py), never by stopping the shared
servers: a Redis that accepts and never answers, a PostgreSQL behind a proxy that crashes, hangs
and comes back on the same port. A few fast variants run on the embedded parts too."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import Client

from cases.models import Case, Report
from cases.services import IncomingReport, move_case, open_case
from notifications.models import Notification
from tests.intake.browser import Form, post_form
from tests.intake.tcp import HungServer, TcpProxy
from tests.servers import (
    ROOT,
    CeleryWorker,
    Daphne,
    RedisServer,
    database_url,
    running,
    send,
    signed_request,
)
from tests.twilio import AUTH_TOKEN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_services]

SMS = "/intake/twilio/sms/"


@pytest.fixture
def real_parts(require_postgresql: None, helpline):
    """The daphne environment: this test's PostgreSQL database and the machine's Redis."""
    helpline.phone_number = "+447700900000"
    helpline.save()
    return {
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL or "redis://127.0.0.1:6379/15",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "DEBUG": "True",
    }


def message(sid: str, sender: str, body: str = "Made-up test message") -> dict[str, str]:
    return {"MessageSid": sid, "From": sender, "To": "+447700900000", "Body": body}


def phone(i: int) -> str:
    return f"+447700900{i % 1000:03d}"  # Ofcom's drama range


def fire(
    base_url: str,
    ledger: list[tuple[str, dict[str, str]]],
    threads: int = 50,
    after_each: Callable[[], None] = lambda: None,
) -> list[int]:
    """Send every (kind, params) concurrently; returns the status codes in ledger order."""

    def one(entry: tuple[str, dict[str, str]]) -> int:
        kind, params = entry
        token = AUTH_TOKEN if kind == "genuine" else "forged-token"
        code = send(signed_request(base_url, SMS, params, token))
        after_each()
        return code

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, ledger))


def assert_ledger_matches(acknowledged: set[str], rejected: set[str]) -> None:
    stored = list(Report.objects.values_list("source_id", flat=True))
    assert sorted(stored) == sorted(acknowledged)  # each acknowledged once, nothing else
    assert not rejected & set(stored)
    assert not Case.objects.filter(reports__isnull=True).exists()  # no half-written case
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))


def test_duplicate_storm_with_forgeries_through_daphne(real_parts) -> None:
    # given: 200 messages from 200 numbers, each delivered twice at once, and 20 forgeries
    genuine = [("genuine", message(f"SM{i:032d}", phone(i))) for i in range(200)]
    forged = [("forged", message(f"SMforged{i:026d}", phone(i))) for i in range(20)]
    ledger = genuine + genuine + forged
    random.Random(7).shuffle(ledger)

    with running(Daphne(env=real_parts)) as (server,):
        # when
        codes = fire(server.base_url, ledger)

    # then
    outcome = {
        (kind, params["MessageSid"], code)
        for (kind, params), code in zip(ledger, codes, strict=True)
    }
    assert {code for kind, _, code in outcome if kind == "genuine"} == {200}
    assert {code for kind, _, code in outcome if kind == "forged"} == {403}
    assert_ledger_matches(
        acknowledged={p["MessageSid"] for _, p in genuine},
        rejected={p["MessageSid"] for _, p in forged},
    )
    assert Case.objects.count() == 200


def test_redis_killed_mid_burst_loses_nothing_and_alerts_follow(real_parts, operator) -> None:
    # given: a case from one number, held by an operator, so its new messages alert them
    held, _ = open_case(
        helpline=operator.organisation,
        report=IncomingReport(channel="sms", source_id="SM-first", sender=phone(1)),
    )
    move_case(case=held, to=Case.Status.IN_TRIAGE, actor=operator, reason="Claimed")
    redis = RedisServer().start()
    env = {**real_parts, "REDIS_URL": redis.url, "OUTBOX_SWEEP_AFTER_SECONDS": "0"}
    before = [("genuine", message(f"SMbefore{i:026d}", phone(i % 3 + 1))) for i in range(30)]
    after = [("genuine", message(f"SMafter{i:027d}", phone(i % 3 + 1))) for i in range(30)]

    try:
        with running(Daphne(env=env)) as (server,):
            # when: Redis dies half-way through the burst
            codes = fire(server.base_url, before, threads=10)
            redis.kill()
            started = time.monotonic()
            codes += fire(server.base_url, after, threads=10)
            outage_seconds = time.monotonic() - started
            # a call during the outage is still answered with the greeting and <Record>
            call = {"CallSid": "CA-outage", "From": phone(9), "To": "+447700900000"}
            voice = signed_request(server.base_url, "/intake/twilio/voice/", call, AUTH_TOKEN)
            with urllib.request.urlopen(voice, timeout=10) as answer:  # noqa: S310 - loopback
                assert b"<Record" in answer.read()

        # then: every report was acknowledged and stored, without waiting on the dead Redis
        assert set(codes) == {200}
        assert outage_seconds < 20
        assert_ledger_matches(
            acknowledged={"SM-first", "CA-outage"} | {p["MessageSid"] for _, p in before + after},
            rejected=set(),
        )
        alerts = Notification.objects.filter(recipient=operator, case_number=held.number)
        assert alerts.count() == 20  # the messages from the held case's number

        # when: Redis is back (empty: whatever it held is gone), with a worker and the sweeper
        redis = RedisServer(port=redis.port).start()
        with running(CeleryWorker(env=env)):
            _run_sweep(env)
            deadline = time.monotonic() + 60
            while (
                alerts.exclude(status=Notification.Status.SENT).exists()
                and time.monotonic() < deadline
            ):
                time.sleep(0.5)

        # then: every alert went out, each exactly once
        assert set(alerts.values_list("status", "attempts")) == {("sent", 1)}
    finally:
        redis.kill()


def _run_sweep(env: dict[str, str]) -> None:
    """What celery beat does every 30 s: queue the sweep task on the broker."""
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "project.celery:app",
            "call",
            "notifications.tasks.sweep_outbox",
        ],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings.base", **env},
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_web_process_killed_mid_request_then_replayed(real_parts) -> None:
    # given: 60 messages in flight when the web process is killed
    ledger = [("genuine", message(f"SMkill{i:028d}", phone(i + 100))) for i in range(60)]
    server = Daphne(env=real_parts).start()
    answered = iter(range(len(ledger)))
    lock = threading.Lock()

    def kill_after_fifteen() -> None:
        with lock:
            if next(answered) == 15:
                server.kill()  # SIGKILL while the other requests are in flight

    try:
        codes = fire(server.base_url, ledger, threads=20, after_each=kill_after_fifteen)
    finally:
        server.kill()
    assert codes.count(0) > 0  # requests really died with the process

    # when: it is restarted on the same address and Twilio retries everything
    with running(server):
        replay = fire(server.base_url, ledger, threads=20)

    # then
    assert set(replay) == {200}
    assert_ledger_matches(acknowledged={p["MessageSid"] for _, p in ledger}, rejected=set())
    assert Case.objects.count() == 60


# A hung Redis (C-3h) --------------------------------------------------------------------------------


def _hung_layer(port: int) -> dict[str, object]:
    # the production layer's own settings (10 s socket timeout), pointed at the hung server
    layer = {**settings.CHANNEL_LAYERS["default"]} if settings.REDIS_URL else {}
    config = {"hosts": [{"address": f"redis://127.0.0.1:{port}/0", "socket_timeout": 10}]}
    return {"default": {**layer, "BACKEND": "channels_redis.core.RedisChannelLayer",
                        "CONFIG": config}}  # fmt: skip


def test_a_hung_channel_layer_holds_no_write_and_pauses_its_sends_after_a_second(
    helpline, operator, settings, monkeypatch, caplog
) -> None:
    from notifications import realtime

    monkeypatch.setattr(realtime, "_paused_until", 0.0)
    with HungServer() as hung:
        settings.CHANNEL_LAYERS = _hung_layer(hung.port)
        get_channel_layer()  # made once per process, before any event, as in a running server
        started = time.monotonic()
        # on commit: the consoles, then the dashboards, within one budget; then a second event
        case, _ = open_case(
            helpline=helpline,
            report=IncomingReport(channel="sms", source_id="SM-hung-1", sender=phone(1)),
        )
        move_case(case=case, to=Case.Status.IN_TRIAGE, actor=operator, reason="Claimed")
        writes_took = time.monotonic() - started
        assert realtime.publisher().flush(timeout=5)
        sends_took = time.monotonic() - started

    assert writes_took < 0.5  # the writes only queued their events: nothing waited on Redis
    # one bounded attempt (1 s, and a little for a busy machine), not 2 x 10 s; after it the
    # second event is dropped at once: sends are paused
    assert 0.9 < sends_took < 1.6
    assert realtime.sends_paused()
    failures = [r for r in caplog.records if r.getMessage() == "realtime_send_failed"]
    assert [r.error for r in failures] == ["TimeoutError"]  # type: ignore[attr-defined]
    assert Report.objects.filter(source_id="SM-hung-1").exists()


def test_hung_redis_twilio_and_the_form_are_answered_quickly(real_parts, operator) -> None:
    """C-3h: Redis accepts connections and never answers (channel layer, cache, broker). Every
    webhook and form post is answered in under 2 s, stored, and its alerts wait in the outbox."""
    operator.on_duty = True
    operator.save()
    ledger = [("genuine", message(f"SMhung{i:028d}", phone(i + 500))) for i in range(12)]
    with HungServer() as hung:
        env = {**real_parts, "REDIS_URL": f"redis://127.0.0.1:{hung.port}/0"}
        with running(Daphne(env=env)) as (server,):
            requests = [signed_request(server.base_url, SMS, p, AUTH_TOKEN) for _, p in ledger]
            with ThreadPoolExecutor(4) as pool:
                answers = list(pool.map(_timed, requests))
            form_started = time.monotonic()
            form_code, _ = post_form(server.base_url, "Made-up report during a Redis hang")
            form_took = time.monotonic() - form_started

    assert {code for code, _, _ in answers} == {200}
    # Each request waits on the hung Redis at most once (1 s), and only until the first failure
    # pauses the sends of the process: far below Twilio's 15 s, a little room for a busy machine.
    timings = sorted(took for _, took, _ in answers)
    assert timings[-1] < 2.5
    assert timings[len(timings) // 2] < 1
    assert form_code == 303
    assert form_took < 2
    assert_ledger_matches(
        acknowledged={p["MessageSid"] for _, p in ledger}
        | set(Report.objects.filter(channel="web").values_list("source_id", flat=True)),
        rejected=set(),
    )
    assert Case.objects.filter(channel="web").count() == 1
    # the operator's alerts are rows waiting for the sweeper, not lost with the push
    assert Notification.objects.filter(recipient=operator).count() >= len(ledger)


# PostgreSQL unavailable and restarted (C-4) --------------------------------------------------------


def _timed(request: urllib.request.Request | str) -> tuple[int, float, dict[str, str]]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:  # noqa: S310 - loopback
            answer.read()
            code, headers = answer.status, dict(answer.headers)
    except urllib.error.HTTPError as exc:
        code, headers = exc.code, dict(exc.headers)
    return code, time.monotonic() - started, headers


def test_postgresql_down_hung_and_restarted(real_parts) -> None:
    """C-4 without stopping the shared server: daphne reaches PostgreSQL through a proxy that
    crashes (connections cut, nothing listening), hangs (accepts, never answers) and restarts."""
    db = settings.DATABASES["default"]
    proxy = TcpProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)).start()
    env = {**real_parts, "DATABASE_URL": database_url().replace(
        f":{db.get('PORT') or 5432}/", f":{proxy.port}/")}  # fmt: skip
    acknowledged: set[str] = set()

    def sms(sid: str) -> tuple[int, float, dict[str, str]]:
        answer = _timed(signed_request(server.base_url, SMS, message(sid, phone(7)), AUTH_TOKEN))
        if answer[0] == 200:
            acknowledged.add(sid)
        return answer

    try:
        with running(Daphne(env=env)) as (server,):
            assert sms("SMpg-before")[0] == 200
            forms = [Form(server.base_url), Form(server.base_url)]  # pages open in two browsers

            for fault in (proxy.crash, proxy.hang):
                fault()
                # a reporter sends: nothing stored, their words come back, retry in a minute
                started = time.monotonic()
                code, page = forms.pop().send(f"Made-up report sent during a {fault.__name__}")
                assert time.monotonic() - started < 2.5
                assert code == 503
                assert "try again in a minute" in page
                assert f"Made-up report sent during a {fault.__name__}" in page
                for i in range(3):
                    code, took, headers = sms(f"SMpg-{fault.__name__}-{i}")
                    assert code == 503, server.log_tail()
                    assert took < 2.5  # connect_timeout / pool timeout, never Twilio's 15 s
                    assert headers.get("Retry-After") == "60"
                code, took, headers = _timed(f"{server.base_url}/healthz/")
                assert (code, headers.get("Retry-After")) == (503, "60")
                assert took < 2.5
                if fault is proxy.crash:
                    proxy.start()  # back on the same port...
                    proxy.hang()  # ...but hung this time

            # the server comes back: the next request works, without restarting daphne
            proxy.crash()
            proxy.start()
            code, took, _ = sms("SMpg-after")
            assert code == 200, server.log_tail()
    finally:
        proxy.close()

    # every 2xx has its row; every 503 stored nothing (Twilio sends it again)
    assert_ledger_matches(acknowledged=acknowledged, rejected=set())
    assert acknowledged == {"SMpg-before", "SMpg-after"}
    assert not Report.objects.filter(channel="web").exists()


def test_database_errors_in_any_layer_are_503_with_retry_after(monkeypatch) -> None:
    """The fast variant on whichever database the run uses: an OperationalError in a view or in
    the session middleware (before any view) answers 503 + Retry-After, never a 500."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import OperationalError

    def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("could not connect to server")

    client = Client(raise_request_exception=False)  # as a real server: the answer, not the error

    monkeypatch.setattr("accounts.views.connection.cursor", down)
    answer = client.get("/healthz/")
    assert (answer.status_code, answer["Retry-After"]) == (503, "60")
    monkeypatch.undo()

    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    monkeypatch.setattr(SessionStore, "load", down)
    answer = client.get("/cases/")
    assert (answer.status_code, answer["Retry-After"]) == (503, "60")
    assert answer["Cache-Control"].startswith("max-age=0") or "no-store" in answer["Cache-Control"]
    api = client.get("/api/v1/cases/")
    assert api.status_code == 503
    assert api.json() == {"detail": "Lantern cannot reach its database just now. Please try "
                                    "again in a minute."}  # fmt: skip
