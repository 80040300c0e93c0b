"""The hand-off of outbox rows to Celery (DESIGN rule 6). The rows are written by
notifications.staff_alerts and notifications.victim_messages in the transaction of the change that
caused them; here they are queued for notifications.delivery once it has committed."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from notifications import realtime
from notifications.models import Notification

logger = logging.getLogger(__name__)


def queue_on_commit(rows: Iterable[Notification]) -> None:
    """Queue each row's delivery once the transaction that wrote it has committed."""
    for row in rows:
        transaction.on_commit(lambda pk=row.pk: queue_delivery(pk), robust=True)


def queue_delivery(notification_id: int) -> None:
    """Hand a row to Celery. If the broker cannot take it, the row stays pending and the sweeper
    queues it again later: nothing is lost and the request that caused it is not held up."""
    from kombu.exceptions import OperationalError as BrokerError

    from notifications.tasks import deliver_notification

    # Redis just failed: don't wait on it again, the sweeper will queue (tasks run in-process, as
    # when embedded, need no Redis)
    if realtime.sends_paused() and not settings.CELERY_TASK_ALWAYS_EAGER:
        logger.info("outbox_publish_deferred", extra={"notification_id": notification_id})
        return
    try:
        deliver_notification.delay(notification_id)
    except BrokerError:  # Redis hung or down (kombu wraps its errors): one wait, then none
        realtime.pause_sends()
        logger.warning("outbox_publish_failed", extra={"notification_id": notification_id})
    except Exception:  # the broker refused: the sweeper will retry
        logger.warning("outbox_publish_failed", extra={"notification_id": notification_id})
