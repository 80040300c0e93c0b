"""Webhooks to partner systems: an outbox of their own (DESIGN rule 6). A row is written in the
transaction of the change that caused it and sent by Celery after commit, signed with the
partner's current secret; every try is kept (the partner's delivery log). A passing failure (5xx,
a timeout, no connection) is tried again with doubling waits, up to PARTNER_WEBHOOK_MAX_ATTEMPTS,
then given up and the helpline's supervisors are told once. A refusal (4xx) is given up at once.

Delivery is at least once: a worker that dies mid-send leaves the row to be sent again after its
claim lapses. The partner tells a repeat by its event_id, which never changes."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases.models import Case
from feeds import partners
from feeds.models import DeliveryAttempt, Partner, PartnerDelivery
from notifications import realtime

logger = logging.getLogger(__name__)

S = PartnerDelivery.Status
# A refusal the partner may lift by itself: tried again like a 5xx.
RETRYABLE_CODES = frozenset({408, 429})
FAILED_KIND = "partner.webhook_failed"


def _claim_seconds() -> int:
    """How long a try holds its row: past the request's own timeout, so a slow partner is never
    sent the same webhook twice at once; a worker that died lets it go after this."""
    return settings.PARTNER_WEBHOOK_TIMEOUT * 2 + 30


def queue_webhook(
    *, partner: Partner, type: str, case: Case | None, payload: dict[str, Any]
) -> PartnerDelivery:
    """Write a webhook in the caller's transaction; it is handed to Celery once that commits.
    `payload` holds "case", "crime_reference", "occurred_at" and "data" of the body."""
    row = PartnerDelivery.objects.create(partner=partner, type=type, case=case, payload=payload)
    transaction.on_commit(lambda: queue_delivery(row.pk), robust=True)
    return row


def queue_delivery(delivery_id: int) -> None:
    """Hand a row to Celery. If the broker cannot take it the row stays pending, and the sweep
    (every 30 s) queues it again: nothing is lost and the change that caused it is not held up."""
    from feeds.tasks import deliver_webhook

    if realtime.sends_paused() and not settings.CELERY_TASK_ALWAYS_EAGER:
        return  # Redis just failed: the sweep will queue it
    try:
        deliver_webhook.delay(delivery_id)
    except Exception as exc:  # the broker refused or is down (kombu wraps its errors)
        logger.warning(
            "partner_webhook_publish_failed",
            extra={"delivery": delivery_id, "error": type(exc).__name__},
        )


def body_of(row: PartnerDelivery) -> bytes:
    """The exact bytes sent (and signed): the contract's fields, in a stable order."""
    body = {"event_id": str(row.event_id), "type": row.type, **row.payload}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str  # in words, never the payload
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        if self.status_code is None:
            return self.error not in (BAD_ADDRESS, SWITCHED_OFF)
        return self.status_code >= 500 or self.status_code in RETRYABLE_CODES


BAD_ADDRESS = "The partner's address must be an https:// address."
SWITCHED_OFF = "The partner is switched off in Lantern."


def deliver(delivery_id: int) -> bool:
    """Send one webhook if it is pending and due; returns whether it was delivered. A conditional
    update claims the row (no transaction is held open while the partner answers), so a sweep and
    a late original never send it together."""
    now = timezone.now()
    claimed = PartnerDelivery.objects.filter(
        pk=delivery_id, status=S.PENDING, next_attempt_at__lte=now
    ).update(
        attempts=F("attempts") + 1,
        next_attempt_at=now + timedelta(seconds=_claim_seconds()),
    )
    if not claimed:
        return False
    row = PartnerDelivery.objects.select_related("partner", "case").get(pk=delivery_id)
    outcome = _post(row)
    _record(row, outcome)
    return outcome.delivered


def _post(row: PartnerDelivery) -> Outcome:
    partner = row.partner
    started = time.monotonic()
    if not partner.is_active:  # switched off after the webhook was written: nothing is sent
        return Outcome(None, SWITCHED_OFF, 0)
    try:
        url = partners.check_url(partner.url)
    except partners.PartnerError:
        return Outcome(None, BAD_ADDRESS, 0)
    body = body_of(row)
    headers = {
        "Content-Type": "application/json",
        "X-Lantern-Partner": partner.slug,
        "X-Lantern-Signature": partners.sign(body, partner.secret),
    }
    try:
        # No redirects: the body is signed for this partner, and a redirect could take it anywhere.
        response = requests.post(
            url,
            data=body,
            headers=headers,
            timeout=settings.PARTNER_WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
    except requests.Timeout:
        error, code = f"No answer within {settings.PARTNER_WEBHOOK_TIMEOUT} s", None
    except requests.RequestException as exc:
        error, code = f"Could not connect ({type(exc).__name__})", None
    else:
        code = response.status_code
        error = "" if 200 <= code < 300 else f"The partner answered {code}"
        response.close()
    return Outcome(code, error, int((time.monotonic() - started) * 1000))


def _record(row: PartnerDelivery, outcome: Outcome) -> None:
    """The try goes into the log; the row is sent, waits for its next try, or is given up."""
    now = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=row,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error[:300],
            duration_ms=outcome.duration_ms,
        )
        row.last_status_code, row.last_error = outcome.status_code, outcome.error[:300]
        fields = ["status", "last_status_code", "last_error", "next_attempt_at", "sent_at"]
        if outcome.delivered:
            row.status, row.sent_at = S.SENT, now
        elif outcome.retryable and row.attempts < settings.PARTNER_WEBHOOK_MAX_ATTEMPTS:
            wait = settings.PARTNER_WEBHOOK_FIRST_DELAY * 2 ** (row.attempts - 1)
            row.next_attempt_at = now + timedelta(seconds=wait)  # the sweep sends it then
        else:
            row.status = S.FAILED
            _tell_supervisors(row)
        row.save(update_fields=fields)
    logger.info(
        "partner_webhook_try",
        extra={
            "delivery": row.pk,
            "partner": row.partner.slug,
            "status_code": outcome.status_code,
            "outcome": row.status,
        },
    )


def _tell_supervisors(row: PartnerDelivery) -> None:
    """Once, when the row is given up: its status moves to failed only here."""
    from accounts.selectors import staff_with
    from notifications.staff_alerts import notify_staff

    helpline_id = row.partner.helpline_id or (row.case.helpline_id if row.case else None)
    if helpline_id is None:
        return
    number = row.case.number if row.case else ""
    notify_staff(
        users=staff_with(helpline_id, "cases.supervise_case"),
        kind=FAILED_KIND,
        case_number=number,
        text=f"A webhook to {row.partner.name} could not be delivered"
        + (f" (case {number})" if number else ""),
    )


@transaction.atomic
def retry_delivery(*, delivery: PartnerDelivery, actor: AbstractBaseUser) -> PartnerDelivery:
    """ "Retry now" on a given-up webhook: a new round of tries, from now. The log keeps the old."""
    row = PartnerDelivery.objects.select_for_update().get(pk=delivery.pk)
    if row.status != S.FAILED:
        raise partners.PartnerError("Only a webhook that was given up can be retried.")
    row.status, row.attempts, row.next_attempt_at = S.PENDING, 0, timezone.now()
    row.save(update_fields=["status", "attempts", "next_attempt_at"])
    logger.info("partner_webhook_retried", extra={"delivery": row.pk, "user_id": actor.pk})
    transaction.on_commit(lambda: queue_delivery(row.pk), robust=True)
    return row


def sweep() -> int:
    """Queue again every pending webhook that is due (a lost publish, a wait that is over, a
    claim that lapsed), then reconcile partner events with cases that gained their crime number.
    Returns how many webhooks were queued."""
    due = list(
        PartnerDelivery.objects.filter(status=S.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in due:
        queue_delivery(pk)
    partners.reconcile_unmatched()
    return len(due)
