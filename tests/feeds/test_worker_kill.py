"""A feeds worker killed mid-import (issue 13: "no half-imported rows, no duplicates"), on the real
parts: a prefork Celery worker on the `feeds` queue in its own process, this test's PostgreSQL
database, a private redis-server as the broker. The file is big and the chunks small, so the
worker dies with some chunks committed and one in hand; the batch must end `done` with exactly
what a clean import of the same file gives."""

from __future__ import annotations

import csv
import io
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from celery.exceptions import AlwaysEagerIgnored

from feeds.engine import run_batch
from feeds.models import FeedRecord, ImportBatch
from feeds.services import start_import
from project.celery import app
from tests.feeds.test_engine import counts, make_source, stored
from tests.notifications.test_worker_loss import Worker, alive, wait_until
from tests.servers import ROOT, RedisServer, database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_services]

S = ImportBatch.Status
RUN_IMPORT = "feeds.tasks.run_import"
ROWS = 30_000
CHUNK_ROWS = 250
VISIBILITY_SECONDS = 3
WORKER = (
    "celery -A project.celery:app worker --pool prefork --concurrency 1 -Q feeds -n {name} "
    "--without-gossip --without-mingle --without-heartbeat --loglevel INFO"
)


def street_file(rows: int) -> bytes:
    """A made-up police.uk street file: one row in five without a crime ID (some of them exact
    copies of each other, as anti-social behaviour rows are), the same every run."""
    chance = random.Random(13)  # noqa: S311 - made-up data, not security
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
         "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]
    )  # fmt: skip
    for n in range(rows):
        blank = n % 5 == 0
        writer.writerow(
            [
                "" if blank else f"{n:08d}{chance.getrandbits(96):024x}",
                "2026-10",
                "Made-up Constabulary",
                "Made-up Constabulary",
                f"-0.{chance.randrange(100000, 120000)}",
                f"51.{chance.randrange(510000, 520000)}",
                f"On or near Street {chance.randrange(50) if blank else n % 997}",
                "E01000001",
                "Nowhere 001A",
                "Anti-social behaviour" if blank else "Other theft",
                "" if blank else "Under investigation",
                "",
            ]
        )
    return out.getvalue().encode()


class FeedsWorker(Worker):
    """The notifications test's prefork worker, listening to the feeds queue."""

    def start(self) -> FeedsWorker:
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


@dataclass
class Parts:
    broker: RedisServer
    env: dict[str, str]

    @property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.broker.url)

    def publish(self, batch: ImportBatch) -> str:
        """Queue the import as start_import does after commit (this process's Celery is eager)."""
        task_id = str(uuid.uuid4())
        with app.connection_for_write(self.broker.url) as connection, warnings.catch_warnings():
            warnings.simplefilter("ignore", AlwaysEagerIgnored)
            app.amqp.queues["feeds"](connection.default_channel).declare()
            app.send_task(RUN_IMPORT, args=[batch.pk], task_id=task_id, connection=connection)
        return task_id

    def broker_is_empty(self) -> bool:
        return self.redis.llen("feeds") == 0 and self.redis.hlen("unacked") == 0


@pytest.fixture
def parts(require_postgresql: None, feeds_dir: Path, settings) -> Iterator[Parts]:
    settings.FEED_CHUNK_ROWS = CHUNK_ROWS
    broker = RedisServer().start()
    try:
        yield Parts(
            broker=broker,
            env={
                "DATABASE_URL": database_url(),
                "REDIS_URL": broker.url,
                "FEED_FILES_DIR": str(feeds_dir),
                "FEED_CHUNK_ROWS": str(CHUNK_ROWS),
                "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
                "DEBUG": "True",
                "LOG_LEVEL": "INFO",
            },
        )
    finally:
        broker.kill()


def clean_import(content: bytes) -> ImportBatch:
    source = make_source(slug="clean")
    batch = start_import(
        source=source, upload=io.BytesIO(content), file_name="clean.csv", actor=None,
        origin=ImportBatch.Origin.COMMAND, queue=False,
    )  # fmt: skip
    run_batch(batch.pk)
    batch.refresh_from_db()
    return batch


def queued_import(content: bytes) -> ImportBatch:
    return start_import(
        source=make_source(slug="killed"), upload=io.BytesIO(content), file_name="big.csv",
        actor=None, origin=ImportBatch.Origin.API, queue=False,
    )  # fmt: skip


def rows_done(batch: ImportBatch) -> int:
    return ImportBatch.objects.get(pk=batch.pk).rows_done


def status(batch: ImportBatch) -> str:
    return ImportBatch.objects.get(pk=batch.pk).status


def assert_same_as_clean(batch: ImportBatch, clean: ImportBatch) -> None:
    batch.refresh_from_db()
    assert batch.status == S.DONE, batch.failure
    assert counts(batch) == counts(clean) == (ROWS, *counts(clean)[1:])
    assert batch.new + batch.unchanged == ROWS  # every row once: nothing written twice
    assert FeedRecord.objects.filter(source=batch.source).count() == clean.new
    assert stored(batch.source) == stored(clean.source)


def test_a_killed_child_is_replaced_and_the_batch_resumes_from_its_checkpoint(parts: Parts) -> None:
    content = street_file(ROWS)
    clean = clean_import(content)
    batch = queued_import(content)
    worker = FeedsWorker(parts.env).start()
    try:
        task = parts.publish(batch)
        wait_until(lambda: rows_done(batch) >= 4 * CHUNK_ROWS, "a few chunks to commit", 60)

        # when: the child running the import is SIGKILLed mid-file; the parent hands the task
        # back (acks_late, reject_on_worker_lost) and a fresh child runs it again
        os.kill(worker.child(), signal.SIGKILL)
        killed_at = rows_done(batch)
        worker.wait_for_log(f"{RUN_IMPORT}[{task}] succeeded", timeout=120)
        wait_until(parts.broker_is_empty, "the broker to hold nothing")
        log = worker.read_log()
    finally:
        worker.stop()

    assert killed_at < ROWS  # it really died mid-import
    assert "WorkerLostError" in log
    assert_same_as_clean(batch, clean)


def test_a_worker_killed_whole_is_redelivered_to_another_that_finishes_the_batch(
    parts: Parts,
) -> None:
    content = street_file(ROWS)
    clean = clean_import(content)
    batch = queued_import(content)
    first = FeedsWorker(parts.env).start()
    second = FeedsWorker(parts.env)
    try:
        task = parts.publish(batch)
        wait_until(lambda: rows_done(batch) >= 4 * CHUNK_ROWS, "a few chunks to commit", 60)
        handed_out = time.monotonic()
        child = first.child()

        # when: the whole worker is SIGKILLed; the task stays unacknowledged in Redis
        first.kill()
        wait_until(lambda: not alive(child), "the orphaned child to die", timeout=10)
        killed_at = rows_done(batch)
        assert status(batch) == S.RUNNING
        assert parts.redis.hlen("unacked") == 1
        # ... until the visibility timeout passes and another worker takes it
        time.sleep(max(0.0, handed_out + VISIBILITY_SECONDS + 0.5 - time.monotonic()))
        second.start()
        second.wait_for_log(f"{RUN_IMPORT}[{task}] succeeded", timeout=120)
        wait_until(parts.broker_is_empty, "the broker to hold nothing")
    finally:
        first.kill()
        second.stop()

    assert 0 < killed_at < ROWS
    assert_same_as_clean(batch, clean)
