"""Live events: group names, event shapes, and the one way to send them: after commit.

Events carry ids and non-identifying fields only; consumers re-read what a user may see."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class CaseSummary(TypedDict):
    number: str
    status: str
    channel: str
    priority: str
    created_at: str
    claimed_by: str | None  # a staff username, never anything about the people on the case
    team: int | None  # the team whose queue it is in (cases.routing); None: the shared queue
    # sent only to those who may read it: the named and those inside a break-glass (cases.sealing)
    sealed: bool


class CaseEvent(TypedDict):
    type: Literal["case.created", "case.updated", "case.claimed", "case.released"]
    case: CaseSummary


class NotificationEvent(TypedDict):
    type: Literal["notification.created"]
    notification_id: int


class FiguresChanged(TypedDict):
    """To dashboards: something they count changed. No more than that: each socket re-reads the
    figures its user may see (dashboards.live)."""

    type: Literal["figures.changed"]


DASHBOARD_ALL_GROUP = "dashboard.all"  # monitors: every helpline's figures


def helpline_group(organisation_id: int) -> str:
    return f"helpline.{organisation_id}"


def dashboard_helpline_group(organisation_id: int) -> str:
    """A helpline's supervisors' dashboards."""
    return f"dashboard.helpline.{organisation_id}"


def dashboard_groups(helpline_id: int) -> list[str]:
    """Every dashboard that counts this helpline's cases."""
    return [DASHBOARD_ALL_GROUP, dashboard_helpline_group(helpline_id)]


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


# One event's sends get this long in all, counted from its commit: a hung Redis must not hold
# anything up (Twilio gives up after 15 s). Consumers resync from the database, and every alert is
# an outbox row already, so a push that did not go loses nothing.
SEND_BUDGET_SECONDS = 1.0
# After a failed send Redis is left alone for this long: the next events of this process (a
# webhook often causes several) are dropped at once instead of each waiting out the budget again.
# The outbox's publish to Celery (same Redis) asks here too: its rows wait for the sweeper.
PAUSE_AFTER_FAILURE_SECONDS = 5.0
# Events waiting for the publisher of this process. Far more than a burst needs while Redis
# answers; a full queue means Redis is not keeping up, and the event is dropped like a failed send.
PUBLISH_QUEUE_SIZE = 10_000

_deadline: ContextVar[float | None] = ContextVar("realtime_deadline", default=None)
_paused_until = 0.0


def sends_paused() -> bool:
    """Redis failed a send or publish a moment ago: skip it, the database has what matters."""
    return time.monotonic() < _paused_until


def pause_sends() -> None:
    global _paused_until
    _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS


Event = CaseEvent | NotificationEvent | FiguresChanged


def broadcast(groups: Iterable[str], event: Event) -> None:
    """Send the event to each group, within what is left of the event's budget, without waiting
    for Redis: the process's publisher sends it (in order, within a millisecond or so while Redis
    answers). Never raises: a failure or a full queue is logged and pauses sending for a while."""
    names = list(groups)
    if not names:
        return
    if sends_paused():
        logger.info("realtime_send_skipped", extra={"groups": len(names)})
        return
    deadline = _deadline.get() or time.monotonic() + SEND_BUDGET_SECONDS
    message = {"type": "lantern.event", "event": event}
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        # The embedded layer lives in this process's event loop: sent there, at once.
        async_to_sync(_deliver)(names, message, deadline)
    elif not publisher().submit((names, message, deadline)):
        pause_sends()
        logger.warning("realtime_send_failed", extra={"error": "QueueFull"})


async def _deliver(groups: list[str], message: dict[str, object], deadline: float) -> None:
    """One event's sends, or a log line saying why not; pauses sending when Redis failed."""
    if sends_paused():
        logger.info("realtime_send_skipped", extra={"groups": len(groups)})
        return
    try:
        layer = get_channel_layer()
        async with asyncio.timeout(max(deadline - time.monotonic(), 0.0)):
            for group in groups:
                await layer.group_send(group, message)
    except (OSError, RedisError) as exc:  # hung or down (TimeoutError is an OSError): pause
        pause_sends()
        logger.warning("realtime_send_failed", extra={"error": type(exc).__name__})
    except Exception as exc:  # anything else is this event's own problem: no pause
        logger.warning("realtime_send_failed", extra={"error": type(exc).__name__})


class Publisher:
    """The one sender of a process's events to Redis: a daemon thread with its own event loop
    (so channels_redis keeps its connections open between events) fed by a bounded queue. The
    request that caused an event only puts it on the queue; one thread sends them all, so events
    leave in the order their transactions committed."""

    def __init__(self, capacity: int = PUBLISH_QUEUE_SIZE) -> None:
        self.queue: queue.Queue[tuple[list[str], dict[str, object], float] | threading.Event] = (
            queue.Queue(maxsize=capacity)
        )
        self.thread = threading.Thread(target=self._run, name="realtime-publisher", daemon=True)
        self.thread.start()

    def submit(self, item: tuple[list[str], dict[str, object], float]) -> bool:
        """False when the queue is full: the event is not sent."""
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            return False
        return True

    def flush(self, timeout: float = SEND_BUDGET_SECONDS) -> bool:
        """Wait until every event queued so far was sent or dropped (at most `timeout`)."""
        done = threading.Event()
        try:
            self.queue.put(done, timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        while True:
            item = self.queue.get()
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                loop.run_until_complete(_deliver(*item))
            except BaseException as exc:  # noqa: BLE001 - the thread must outlive any one event
                logger.error("realtime_publisher_error", extra={"error": type(exc).__name__})


_publisher: Publisher | None = None
_publisher_lock = threading.Lock()


def publisher() -> Publisher:
    """This process's publisher, started on first use."""
    global _publisher
    if _publisher is None:
        with _publisher_lock:
            if _publisher is None:
                _publisher = Publisher()
    return _publisher


def _forget_publisher() -> None:
    """A forked child (gunicorn and Celery workers) has no copy of the parent's thread: it starts
    its own on its first event. The lock is new too: another thread may have held it at the fork."""
    global _publisher, _publisher_lock
    _publisher, _publisher_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_publisher)


@atexit.register
def _send_what_is_queued() -> None:
    """A command or worker that ends right after an event still sends it (within the budget)."""
    if _publisher is not None:
        _publisher.flush()


def broadcast_case_event(helpline_id: int, event: CaseEvent) -> None:
    """Send a case event to its helpline's consoles once the surrounding transaction commits;
    never for a change that rolled back. Every case event also tells the dashboards counting that
    helpline that their figures changed: here, so no service can move a case without the
    dashboards hearing of it. Both audiences share one budget; a failed send to one still lets
    the other try, and nothing is raised: the change is stored and consumers resync."""
    transaction.on_commit(lambda: _send_case_event(helpline_id, event), robust=True)


def _send_case_event(helpline_id: int, event: CaseEvent) -> None:
    token = _deadline.set(time.monotonic() + SEND_BUDGET_SECONDS)
    try:
        broadcast([helpline_group(helpline_id)], event)
        broadcast(dashboard_groups(helpline_id), FiguresChanged(type="figures.changed"))
    finally:
        _deadline.reset(token)


def notify_user(user_id: int | None, notification_id: int) -> None:
    """Tell a signed-in user's pages that a notification arrived. Best effort: the row is the
    delivery; a push that did not go is logged and the page finds the row on its next load."""
    if user_id is None:
        return
    broadcast(
        [user_group(user_id)],
        NotificationEvent(type="notification.created", notification_id=notification_id),
    )
