"""Intake's Celery tasks: thin wrappers over intake.recordings, and their queueing. Ids only, never
a recording's address or audio: the task message sits in Redis."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from intake import recordings
from notifications import realtime

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def store_recording(report_id: int) -> None:
    recordings.store(report_id)


@shared_task(ignore_result=True)
def store_pending_recordings() -> None:
    recordings.store_pending()


def queue_store(report_id: int) -> None:
    """Queue the storing task once the transaction that recorded the recording has committed."""
    transaction.on_commit(lambda: _publish(report_id), robust=True)


def _publish(report_id: int) -> None:
    # As the outbox does (notifications.outbox): a Redis outage never holds up the voice webhook
    # (IN-09); the recording stays with the provider until the sweep queues it again.
    from kombu.exceptions import OperationalError as BrokerError

    if realtime.sends_paused() and not settings.CELERY_TASK_ALWAYS_EAGER:
        logger.info("recording_store_deferred", extra={"report_id": report_id})
        return
    try:
        store_recording.delay(report_id)
    except BrokerError:
        realtime.pause_sends()
        logger.warning("recording_store_publish_failed", extra={"report_id": report_id})
    except Exception:
        logger.warning("recording_store_publish_failed", extra={"report_id": report_id})
