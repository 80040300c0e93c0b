"""Live events: group names, event shapes, and the one way to send them: after commit.

Events carry ids and non-identifying fields only; consumers re-read what a user may see."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
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


# One event's sends get this long in all: a hung Redis must not hold the request that caused the
# event (Twilio gives up after 15 s). Consumers resync from the database, and every alert is an
# outbox row already, so a push that did not go loses nothing.
SEND_BUDGET_SECONDS = 1.0
# After a failed send Redis is left alone for this long: the next events of this process (a
# webhook often causes several) go straight on instead of each waiting out the budget again. The
# outbox's publish to Celery (same Redis) asks here too: its rows wait for the sweeper meanwhile.
PAUSE_AFTER_FAILURE_SECONDS = 5.0

_deadline: ContextVar[float | None] = ContextVar("realtime_deadline", default=None)
_paused_until = 0.0


def sends_paused() -> bool:
    """Redis failed a send or publish a moment ago: skip it, the database has what matters."""
    return time.monotonic() < _paused_until


def pause_sends() -> None:
    global _paused_until
    _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS


def broadcast(groups: Iterable[str], event: CaseEvent | NotificationEvent | FiguresChanged) -> None:
    """Send the event to each group, within what is left of the event's budget. Never raises: a
    failure is logged and pauses sending for a few seconds."""
    names = list(groups)
    if not names:
        return
    if sends_paused():
        logger.info("realtime_send_skipped", extra={"groups": len(names)})
        return
    deadline = _deadline.get() or time.monotonic() + SEND_BUDGET_SECONDS
    try:
        async_to_sync(_send)(names, {"type": "lantern.event", "event": event}, deadline)
    except (OSError, RedisError) as exc:  # hung or down (TimeoutError is an OSError): pause
        pause_sends()
        logger.warning("realtime_send_failed", extra={"error": type(exc).__name__})
    except Exception as exc:  # anything else is this event's own problem: no pause
        logger.warning("realtime_send_failed", extra={"error": type(exc).__name__})


async def _send(groups: list[str], message: dict[str, object], deadline: float) -> None:
    layer = get_channel_layer()
    # Measured here, after the thread hop and the layer's creation, against the event's deadline.
    async with asyncio.timeout(max(deadline - time.monotonic(), 0.0)):
        for group in groups:
            await layer.group_send(group, message)


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
