"""Live events: group names, event shapes, and the one way to send them: after commit.

Events carry ids and non-identifying fields only; consumers re-read what a user may see."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


class CaseSummary(TypedDict):
    number: str
    status: str
    channel: str
    priority: str
    created_at: str
    claimed_by: str | None  # a staff username, never anything about the people on the case


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


def broadcast(groups: Iterable[str], event: CaseEvent | NotificationEvent | FiguresChanged) -> None:
    layer = get_channel_layer()
    for group in groups:
        async_to_sync(layer.group_send)(group, {"type": "lantern.event", "event": event})


def broadcast_case_event(helpline_id: int, event: CaseEvent) -> None:
    """Send a case event to its helpline's consoles once the surrounding transaction commits;
    never for a change that rolled back. Every case event also tells the dashboards counting that
    helpline that their figures changed: here, so no service can move a case without the
    dashboards hearing of it. Two callbacks, so a failed send to one audience still lets the
    other hear; a failed send is logged, not raised: the change is stored and consumers resync."""
    consoles = [helpline_group(helpline_id)]
    changed = FiguresChanged(type="figures.changed")
    transaction.on_commit(lambda: broadcast(consoles, event), robust=True)
    transaction.on_commit(lambda: broadcast(dashboard_groups(helpline_id), changed), robust=True)


def notify_user(user_id: int | None, notification_id: int) -> None:
    """Tell a signed-in user's pages that a notification arrived. Best effort: the row is the
    delivery; a failed push is logged and the page finds the row on its next load."""
    if user_id is None:
        return
    try:
        broadcast(
            [user_group(user_id)],
            NotificationEvent(type="notification.created", notification_id=notification_id),
        )
    except Exception:
        logger.warning("notification_push_failed", extra={"notification_id": notification_id})
