from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def deliver_notification(notification_id: int) -> None:
    from notifications.delivery import deliver

    deliver(notification_id=notification_id)


@shared_task(ignore_result=True)
def sweep_outbox() -> None:
    from notifications.delivery import sweep_outbox as sweep

    sweep()
