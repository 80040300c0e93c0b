"""Nothing lost (SECURITY C-1, C-3, C-5, C-10), on the real parts: a daphne process on loopback,
PostgreSQL, Redis. After each scenario the ledger of what was sent must match the database: every
acknowledged report stored exactly once with one case, nothing stored for a rejected one."""

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
from django.conf import settings

from cases.models import Case, Report
from cases.services import IncomingReport, move_case, open_case
from notifications.models import Notification
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
