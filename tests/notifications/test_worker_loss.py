"""A worker that dies loses nothing and sends nothing twice (SECURITY C-2, C-3d, AV-02), on the real
parts: a prefork Celery worker in its own process, this test's PostgreSQL database, a private
redis-server as the broker (so it can be flushed without touching anyone else's), and the real
twilio Client talking to a stand-in for Twilio's REST API on loopback.

The stand-in holds each request after recording it, so the worker is killed while the provider
has the message: the one moment where a naive retry would text a victim twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import time_machine
from celery.exceptions import AlwaysEagerIgnored
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from cases.models import Case
from notifications import outbox
from notifications.models import Notification
from notifications.services import message_victim, sweep_outbox
from project.celery import app
from tests.notifications.conftest import HELPLINE_NUMBER, TEXT, VICTIM_PHONE
from tests.notifications.fakes import TwilioFake, twilio_fake
from tests.servers import ROOT, RedisServer, database_url
from tests.twilio import AUTH_TOKEN, post_signed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_services]

S = Notification.Status
DELIVER = "notifications.tasks.deliver_notification"
SWEEP = "notifications.tasks.sweep_outbox"
WORKER = (
    "celery -A project.celery:app worker --pool prefork --concurrency 1 -Q celery -n {name} "
    "--without-gossip --without-mingle --without-heartbeat --loglevel INFO"
)
VISIBILITY_SECONDS = 3  # C-2: short, so a dead worker's task is handed out again within the test


def wait_until(check: Callable[[], object], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen in {timeout} s")
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid and alive(int(entry.name)):
                found.append(int(entry.name))
    return found


class Worker:
    """`celery worker --pool prefork --concurrency 1`: a parent and one child that runs the tasks,
    its log kept so the test can see which tasks it finished."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings.base", **env}
        # no dot after the @: the log scrubber (project/logging.py) reads name@host.tld as an
        # email address and would hide the name this waits for
        self.name = f"loss-{uuid.uuid4().hex[:8]}@localhost"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        self.log = tempfile.NamedTemporaryFile(suffix=".log")  # noqa: SIM115 - the process's life
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", *WORKER.format(name=self.name).split()],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_for_log(f"{self.name} ready.")
        return self

    def read_log(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        assert self.process is not None

        def logged() -> bool:
            if self.process.poll() is not None:  # type: ignore[union-attr]
                raise RuntimeError(f"the worker exited:\n{self.read_log()[-3000:]}")
            return text in self.read_log()

        try:
            wait_until(logged, f"worker log line {text!r}", timeout)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{self.read_log()[-3000:]}") from None

    def child(self) -> int:
        assert self.process is not None
        [pid] = children(self.process.pid)
        return pid

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Parts:
    fake: TwilioFake
    broker: RedisServer
    env: dict[str, str]

    @property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.broker.url)

    def publish(self, task: str, *args: int) -> str:
        """Put a task on the broker as the web process or beat would (declaring the queue, so a
        message published with no worker running is really held by Redis)."""
        task_id = str(uuid.uuid4())
        with app.connection_for_write(self.broker.url) as connection, warnings.catch_warnings():
            # this process's Celery is eager; send_task publishes regardless, as wanted here
            warnings.simplefilter("ignore", AlwaysEagerIgnored)
            app.amqp.queues[app.conf.task_default_queue](connection.default_channel).declare()
            app.send_task(task, args=list(args), task_id=task_id, connection=connection)
        return task_id

    def broker_is_empty(self) -> bool:
        return self.redis.llen("celery") == 0 and self.redis.hlen("unacked") == 0


@pytest.fixture
def parts(require_postgresql: None) -> Iterator[Parts]:
    broker = RedisServer().start()
    try:
        with twilio_fake(settings.TWILIO_ACCOUNT_SID, AUTH_TOKEN) as fake:
            yield Parts(
                fake=fake,
                broker=broker,
                env={
                    "DATABASE_URL": database_url(),
                    "REDIS_URL": broker.url,
                    "TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
                    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                    "TWILIO_FROM_NUMBER": HELPLINE_NUMBER,
                    "TWILIO_API_BASE_URL": fake.base_url,
                    "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
                    "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
                    "DEBUG": "True",
                    "LOG_LEVEL": "INFO",
                },
            )
    finally:
        broker.kill()


def committed_text(case: Case, monkeypatch: pytest.MonkeyPatch) -> Notification:
    """A message to the victim, committed; its on-commit publish is left to the test, which puts
    it on the private broker (this process's Celery runs tasks in-process)."""
    queued: list[int] = []
    with monkeypatch.context() as patch:
        patch.setattr(outbox, "queue_delivery", queued.append)
        with transaction.atomic():
            row = message_victim(case=case, channel="sms", text=TEXT, kind="case.reply")
    assert queued == [row.pk]
    return row


def status(row: Notification) -> str:
    return Notification.objects.get(pk=row.pk).status


def sweep_after_the_unknown_limit() -> None:
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_UNKNOWN_AFTER_SECONDS + 1)
    with time_machine.travel(later):
        sweep_outbox()


def test_a_child_killed_while_the_provider_has_the_text_never_sends_it_again(
    parts: Parts, case: Case, supervisor, monkeypatch
) -> None:
    # given: a worker, and a provider that takes the message and has not answered yet
    parts.fake.hold()
    worker = Worker(parts.env).start()
    try:
        row = committed_text(case, monkeypatch)
        task = parts.publish(DELIVER, row.pk)
        parts.fake.wait_for_requests(1)
        assert status(row) == S.SENDING

        # when: the child running the task is SIGKILLed; the parent requeues the task (acks_late,
        # reject_on_worker_lost) and a fresh child runs it again
        os.kill(worker.child(), signal.SIGKILL)
        worker.wait_for_log(f"{DELIVER}[{task}] succeeded")
        parts.fake.release()
        wait_until(parts.broker_is_empty, "the broker to hold nothing")
        log = worker.read_log()
    finally:
        parts.fake.release()
        worker.stop()

    # then: the requeued run found the row claimed and did nothing
    assert "WorkerLostError" in log
    assert len(parts.fake.requests) == 1
    assert status(row) == S.SENDING

    # when: the sweeper runs past the limit for an unknown outcome
    sweep_after_the_unknown_limit()

    # then: failed for a person to check; the provider still saw one request
    row.refresh_from_db()
    assert row.status == S.FAILED
    assert row.last_error.startswith("The outcome is unknown")
    told = Notification.objects.filter(kind="outbox.failed", recipient=supervisor)
    assert sorted(told.values_list("channel", flat=True)) == ["email", "in_app"]  # told once
    assert len(parts.fake.requests) == 1
    assert Notification.objects.filter(channel="sms").count() == 1


def test_a_worker_killed_whole_is_redelivered_and_its_delivery_report_settles_it(
    parts: Parts, case: Case, client: Client, monkeypatch
) -> None:
    # given: a worker whose child has handed the text to the provider
    parts.fake.hold()
    first = Worker(parts.env).start()
    second = Worker(parts.env)
    try:
        row = committed_text(case, monkeypatch)
        task = parts.publish(DELIVER, row.pk)
        parts.fake.wait_for_requests(1)
        handed_out = time.monotonic()
        child = first.child()

        # when: the parent is SIGKILLed (its child dies with it); the task stays unacknowledged
        first.kill()
        wait_until(lambda: not alive(child), "the orphaned child to die", timeout=10)
        assert parts.redis.hlen("unacked") == 1
        # ... until the visibility timeout passes and a new worker takes it back
        time.sleep(max(0.0, handed_out + VISIBILITY_SECONDS + 0.5 - time.monotonic()))
        second.start()
        second.wait_for_log(f"{DELIVER}[{task}] succeeded")
        parts.fake.release()
        wait_until(parts.broker_is_empty, "the broker to hold nothing")
    finally:
        parts.fake.release()
        first.kill()
        second.stop()

    # then: the redelivered task sent nothing
    assert f"{DELIVER}[{task}] received" in second.read_log()
    [sent] = parts.fake.requests
    assert status(row) == S.SENDING

    # when: Twilio's delivery report for the message it did accept arrives, then the sweeper runs
    path = f"/intake/twilio/sms/status/?key={row.idempotency_key}"
    report = {"MessageSid": sent.sid, "MessageStatus": "sent", "To": VICTIM_PHONE}
    assert post_signed(client, path, report).status_code == 200
    sweep_after_the_unknown_limit()

    # then: sent, known by its sid, and sent once
    row.refresh_from_db()
    assert (row.status, row.provider_id) == (S.SENT, sent.sid)
    assert len(parts.fake.requests) == 1


def test_after_redis_loses_its_data_the_sweeper_sends_the_text_once(
    parts: Parts, case: Case, monkeypatch
) -> None:
    # given: a text published while no worker runs, then Redis loses everything (C-3d)
    row = committed_text(case, monkeypatch)
    parts.publish(DELIVER, row.pk)
    assert parts.redis.llen("celery") == 1
    parts.redis.flushall()
    assert status(row) == S.PENDING

    worker = Worker({**parts.env, "OUTBOX_SWEEP_AFTER_SECONDS": "0"}).start()
    try:
        # when: beat's sweep runs on the fresh worker
        parts.publish(SWEEP)
        wait_until(lambda: status(row) == S.SENT, "the text to be sent")
        # ... and again, with the lost original turning up late as well
        parts.publish(DELIVER, row.pk)
        again = parts.publish(SWEEP)
        worker.wait_for_log(f"{SWEEP}[{again}] succeeded")
        wait_until(parts.broker_is_empty, "the broker to hold nothing")
    finally:
        worker.stop()

    # then: sent exactly once, with the row's key
    [sent] = parts.fake.requests
    row.refresh_from_db()
    assert (row.status, row.attempts, row.provider_id) == (S.SENT, 1, sent.sid)
    assert sent.idempotency_key == str(row.idempotency_key)
