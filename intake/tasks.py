"""Intake's Celery tasks: thin wrappers over intake.recordings. Ids only, never a recording's
address or audio: the task message sits in Redis."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def store_recording(report_id: int) -> None:
    from intake.recordings import store

    store(report_id)


@shared_task(ignore_result=True)
def store_pending_recordings() -> None:
    from intake.recordings import store_pending

    store_pending()
