"""The publisher (notifications.realtime): a commit only queues its events; one thread per
process sends them in order, after commit and never for a rollback, within the budget; a full
queue or a Redis that is down drops, logs and pauses, and the report is stored all the same.
These run on both configurations: a recording layer, and a private redis-server of their own."""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from cases.models import Report
from cases.services import IncomingReport, open_case
from notifications import realtime
from tests.servers import RedisServer

pytestmark = pytest.mark.django_db(transaction=True)


class RecordingLayer:
    """A channel layer that keeps what it was sent; `hold` makes each send wait until set."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.hold = hold
        self.entered = threading.Event()

    async def group_send(self, group: str, message: dict) -> None:
        self.entered.set()
        while self.hold is not None and not self.hold.is_set():
            await realtime.asyncio.sleep(0.005)
        self.sent.append((group, message))


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> realtime.Publisher:
    """Sends not paused, and a publisher of this test's own."""
    monkeypatch.setattr(realtime, "_paused_until", 0.0)
    publisher = realtime.Publisher()
    monkeypatch.setattr(realtime, "_publisher", publisher)
    return publisher


def report(sid: str) -> IncomingReport:
    return IncomingReport(channel="sms", source_id=sid, sender="+447700900123")


def test_events_leave_after_commit_in_order_and_never_for_a_rollback(
    helpline, fresh, monkeypatch
) -> None:
    layer = RecordingLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)

    first, _ = open_case(helpline=helpline, report=report("SM-pub-1"))

    def rolled_back() -> None:
        with transaction.atomic():
            open_case(helpline=helpline, report=report("SM-pub-rolled-back"))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        rolled_back()
    second, _ = open_case(helpline=helpline, report=report("SM-pub-2"))
    assert fresh.flush(timeout=5)

    created = [m["event"]["case"]["number"] for _, m in layer.sent
               if m["event"]["type"] == "case.created"]  # fmt: skip
    assert created == [first.number, second.number]  # the rolled-back case was never told of
    groups = [group for group, _ in layer.sent]
    assert (
        groups
        == [realtime.helpline_group(helpline.pk), *realtime.dashboard_groups(helpline.pk)] * 2
    )


def test_a_full_queue_drops_logs_and_pauses_without_holding_anyone(
    helpline, monkeypatch, caplog
) -> None:
    monkeypatch.setattr(realtime, "_paused_until", 0.0)
    release = threading.Event()
    layer = RecordingLayer(hold=release)
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    small = realtime.Publisher(capacity=2)
    monkeypatch.setattr(realtime, "_publisher", small)
    event = realtime.FiguresChanged(type="figures.changed")

    realtime.broadcast(["first"], event)
    assert layer.entered.wait(5)  # the publisher is busy with the first (Redis is slow)
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="notifications.realtime"):
        for name in ("second", "third", "fourth", "fifth"):
            realtime.broadcast([name], event)
    took = time.monotonic() - started
    release.set()
    assert small.flush(timeout=5)

    assert took < 0.1  # nobody waited on the slow layer
    # two fit in the queue; the fourth found it full and paused sends: the fifth was skipped at
    # once and the two queued behind the slow send are dropped too (consumers resync)
    assert [group for group, _ in layer.sent] == ["first"]
    lines = [(r.getMessage(), getattr(r, "error", None)) for r in caplog.records]
    assert lines == [("realtime_send_failed", "QueueFull")] + [("realtime_send_skipped", None)] * 3
    assert realtime.sends_paused()


def test_redis_down_pauses_sends_and_the_report_is_stored(
    helpline, fresh, settings, caplog
) -> None:
    redis = RedisServer().start()
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": [redis.url]}}}  # fmt: skip
    redis.kill()

    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="notifications.realtime"):
        case, _ = open_case(helpline=helpline, report=report("SM-pub-down"))
        took = time.monotonic() - started
        assert fresh.flush(timeout=5)

    assert took < 0.5
    assert Report.objects.filter(source_id="SM-pub-down", case=case).exists()
    failed = [r for r in caplog.records if r.getMessage() == "realtime_send_failed"]
    assert len(failed) == 1  # the first send failed; the rest of the event was skipped, paused
    assert realtime.sends_paused()
    assert "+447700900123" not in caplog.text


def test_an_event_reaches_a_redis_group_within_moments_of_commit(helpline, fresh, settings) -> None:
    redis = RedisServer().start()
    try:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                               "CONFIG": {"hosts": [redis.url]}}}  # fmt: skip
        layer = get_channel_layer()
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(realtime.helpline_group(helpline.pk), channel)

        case, _ = open_case(helpline=helpline, report=report("SM-pub-live"))
        committed = time.monotonic()
        message = async_to_sync(layer.receive)(channel)
        arrived = time.monotonic() - committed
    finally:
        redis.kill()

    assert message["event"]["type"] == "case.created"
    assert message["event"]["case"]["number"] == case.number
    assert arrived < 0.5  # a busy shared machine; on a quiet one it is about a millisecond


def test_a_forked_child_starts_a_publisher_of_its_own(fresh) -> None:
    """gunicorn and Celery fork their workers: the parent's thread does not come along."""
    assert realtime.publisher() is fresh
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports by its exit code
        code = 0
        try:
            if realtime._publisher is not None:
                code = 1
            elif not realtime.publisher().flush(timeout=5):
                code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert realtime.publisher() is fresh
