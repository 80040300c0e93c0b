"""Thin Celery wrappers for the feeds app. Imports and pulls run on the `feeds` queue and its own
worker (CELERY_TASK_ROUTES), so a long file never holds up alerts and messages; partner webhooks go
with the other messages on the default queue."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=None, time_limit=None)
def run_import(batch_id: int) -> None:
    # No time limit: a big file takes as long as it takes; a worker killed mid-way hands the task
    # back (acks_late) and the batch carries on from its last committed chunk.
    from feeds.engine import run_batch

    run_batch(batch_id)


@shared_task
def pull_source(source_id: int) -> None:
    from feeds.pulls import pull_source as pull

    pull(source_id)


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> None:
    from feeds.webhooks import deliver

    deliver(delivery_id)


@shared_task
def sweep_webhooks() -> None:
    from feeds.webhooks import sweep

    sweep()


@shared_task
def sweep_files() -> None:
    from feeds.files import sweep

    sweep()
