"""The outbox: every message to a person is a row first, delivered after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from notifications import realtime
from notifications.models import Notification, SmsKeyword
from project.crypto import blind_index

logger = logging.getLogger(__name__)

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
START_WORDS = frozenset({"start", "yes", "unstop"})


def notify_staff(
    *, users: Iterable[AbstractBaseUser], kind: str, case_number: str, text: str
) -> list[Notification]:
    """Queue an in-app alert to each user. Must run inside the transaction of the change it is
    about: the rows commit with it, and delivery is queued only once it has committed."""
    rows = [
        Notification.objects.create(
            recipient=user,
            channel=Notification.Channel.IN_APP,
            kind=kind,
            case_number=case_number,
            text=text,
        )
        for user in users
    ]
    for row in rows:
        transaction.on_commit(lambda pk=row.pk: queue_delivery(pk), robust=True)
    return rows


def queue_delivery(notification_id: int) -> None:
    """Hand a row to Celery. If the broker cannot take it, the row stays pending and the sweeper
    queues it again later: nothing is lost and the request that caused it is not held up."""
    from notifications.tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception:  # the broker is down or refused: the sweeper will retry
        logger.warning("outbox_publish_failed", extra={"notification_id": notification_id})


def deliver(*, notification_id: int) -> bool:
    """Deliver one row, at most once: a conditional update claims it, so two workers (or a sweep
    and a late original) never both send. Returns whether this call delivered it."""
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING
    ).update(status=Notification.Status.SENDING, attempts=1)
    if not claimed:
        return False
    notification = Notification.objects.get(pk=notification_id)
    if notification.channel == Notification.Channel.IN_APP:
        # Stored is delivered: the list in the app reads the row. The push is a courtesy.
        realtime.notify_user(notification.recipient_id, notification.pk)
    notification.status = Notification.Status.SENT
    notification.sent_at = timezone.now()
    notification.save(update_fields=["status", "sent_at"])
    return True


def sweep_outbox() -> int:
    """Queue again every row still pending after OUTBOX_SWEEP_AFTER_SECONDS; returns how many.
    Rows claimed by a worker that died stay 'sending' for a supervisor to see (issue: outbox)."""
    cutoff = timezone.now() - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)
    stuck = list(
        Notification.objects.filter(
            status=Notification.Status.PENDING, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )
    for pk in stuck:
        queue_delivery(pk)
    return len(stuck)


def sms_keyword(body: str) -> str | None:
    """STOP or START when the whole message is one of the carrier keywords, else None."""
    word = body.strip().strip(".!").casefold()
    if word in STOP_WORDS:
        return SmsKeyword.Keyword.STOP
    if word in START_WORDS:
        return SmsKeyword.Keyword.START
    return None


def record_sms_keyword(*, message_sid: str, phone: str, keyword: str) -> None:
    """Remember a STOP/START from a phone; a retry of the same message changes nothing."""
    SmsKeyword.objects.get_or_create(
        message_sid=message_sid,
        defaults={"phone_index": blind_index(phone), "keyword": keyword},
    )


def sms_opted_out(phone: str) -> bool:
    """Whether the phone's latest keyword is STOP: no SMS may go to it until it sends START."""
    latest = (
        SmsKeyword.objects.filter(phone_index=blind_index(phone))
        .order_by("-received_at", "-pk")
        .first()
    )
    return latest is not None and latest.keyword == SmsKeyword.Keyword.STOP
