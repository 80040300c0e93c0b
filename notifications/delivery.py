"""Sending the outbox's rows (DESIGN rule 6). Delivery is at most once: a conditional update claims
a row before it is sent, and a send whose outcome is unknown (the worker died while the provider
had it) is never repeated by itself. What failed for a passing reason is tried again with growing
waits, the state kept in the row, not in the broker, so a Redis loss loses nothing. A message to a
victim meets the safe-contact function again here, as it is sent."""

from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications import safe_contact, transports
from notifications.models import Notification
from notifications.outbox import queue_delivery, queue_on_commit
from notifications.staff_alerts import notify_staff
from notifications.victim_messages import decide

S = Notification.Status


def deliver(*, notification_id: int) -> bool:
    """Deliver one row, at most once: a conditional update claims it, so two workers (or a sweep
    and a late original) never both send. Returns whether this call sent it."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        Q(not_before=None) | Q(not_before__lte=now),
        pk=notification_id,
        status=S.PENDING,
    ).update(status=S.SENDING, sent_at=now)
    if not claimed:
        return False
    row = Notification.objects.select_related("case", "person").get(pk=notification_id)
    row.attempts += 1
    if row.to_victim:
        # Preferences may have changed since it was queued (a STOP, "do not contact", an address
        # removed). What the message is was decided when it was queued and is read from the row,
        # never its kind. A supervisor's override lifts the refusals it may lift, whenever they
        # were recorded; never a STOP or a missing address, which are asked again here too.
        decision, destination = decide(
            row.case,
            row.person,
            row.channel,
            automated=row.automated,
            names_organisation=row.names_organisation,
            text=f"{row.text} {row.subject}",
        )
        if not decision.allowed and row.overridden_by_id and decision.overridable:
            decision = safe_contact.Decision(allowed=True)
        if not decision.allowed or decision.not_before is not None:
            if decision.allowed:  # outside their safe hours now: wait for the window
                row.status, row.not_before = S.PENDING, decision.not_before
                # An earlier passing error no longer explains the wait (the lists read a wait
                # with an error as "trying again", one without as held for their safe hours).
                row.last_error = ""
            else:
                row.status, row.reason = S.SUPPRESSED, decision.reason
            row.save(update_fields=["status", "reason", "not_before", "attempts", "last_error"])
            return False
        # A portal message goes to no address: the victim reads it signed in.
        row.destination = "" if row.channel == Notification.Channel.PORTAL else destination
    try:
        row.provider_id = transports.send(row)
    except transports.TransientError as exc:
        _failed_for_now(row, str(exc))
        return False
    except transports.PermanentError as exc:
        _failed(row, str(exc))
        return False
    except transports.OutcomeUnknownError as exc:
        # The provider may have it: left `sending` for its delivery report to settle or, failing
        # that, the sweeper to mark for a person to check. Never sent again by itself.
        row.last_error = str(exc)[:500]
        row.save(update_fields=["last_error", "attempts", "destination"])
        return False
    row.save(update_fields=["provider_id", "attempts", "destination"])
    now = timezone.now()
    if row.channel == Notification.Channel.PORTAL:
        # Stored in the portal is delivered: no provider will ever report on it.
        Notification.objects.filter(pk=row.pk, status=S.SENDING).update(
            status=S.DELIVERED, sent_at=now, delivered_at=now
        )
        return True
    # Conditional: a delivery report can overtake the provider's answer, and must not be undone.
    Notification.objects.filter(pk=row.pk, status=S.SENDING).update(status=S.SENT, sent_at=now)
    return True


def _failed_for_now(row: Notification, error: str) -> None:
    if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _failed(row, error)
        return
    wait = settings.OUTBOX_RETRY_SECONDS * 2 ** (row.attempts - 1)
    row.status, row.last_error = S.PENDING, error[:500]
    row.not_before = timezone.now() + timedelta(seconds=wait)  # the sweeper sends it then
    row.save(update_fields=["status", "last_error", "not_before", "attempts"])


FAILED_REASON = "Could not be sent: see the error, then retry or contact them another way."


def _failed(row: Notification, error: str) -> None:
    row.status, row.last_error = S.FAILED, error[:500]
    row.reason = FAILED_REASON
    row.save(update_fields=["status", "last_error", "reason", "attempts"])
    if row.to_victim:
        _tell_supervisors_about(row)


def _tell_supervisors_about(row: Notification) -> None:
    from accounts.selectors import staff_with

    with transaction.atomic():
        notify_staff(
            users=staff_with(row.case.helpline_id, "cases.supervise_case"),
            kind="outbox.failed",
            case_number=row.case_number,
            text=f"A message to the victim of {row.case_number} could not be sent",
        )


def sweep_outbox() -> int:
    """Queue again every row still pending after OUTBOX_SWEEP_AFTER_SECONDS, or whose wait (safe
    hours, a retry) is over; mark sends stuck past OUTBOX_UNKNOWN_AFTER_SECONDS as failed with an
    unknown outcome (never re-sent by themselves). Returns how many were queued."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)
    due = list(
        Notification.objects.filter(status=S.PENDING)
        .filter(Q(not_before=None, created_at__lt=cutoff) | Q(not_before__lte=now))
        .values_list("pk", flat=True)[:500]
    )
    for pk in due:
        queue_delivery(pk)
    unknown = now - timedelta(seconds=settings.OUTBOX_UNKNOWN_AFTER_SECONDS)
    for row in Notification.objects.filter(status=S.SENDING, sent_at__lt=unknown).select_related(
        "case"
    ):
        # Only if still sending: a delivery report that just settled it wins.
        if (
            Notification.objects.filter(pk=row.pk, status=S.SENDING).update(
                status=S.FAILED,
                last_error="The outcome is unknown: the provider had it and never answered, or the "
                "sender stopped. Check with the provider before sending again.",
                reason=FAILED_REASON,
            )
            and row.to_victim
        ):
            _tell_supervisors_about(row)
    return len(due)


def record_delivery(*, key: str, provider_id: str, status: str) -> None:
    """A provider's delivery report: matched by the row's key (in the report's address) or its
    provider id. A late or repeated report never moves a row backwards."""
    match = Q(provider_id=provider_id) if provider_id else Q(pk__in=[])
    with suppress(ValueError):  # a key that is no key: matched by the provider id alone
        match |= Q(idempotency_key=uuid.UUID(key))
    row = Notification.objects.filter(match).first()
    if row is None:
        return
    if status == "delivered":
        Notification.objects.filter(pk=row.pk).exclude(status=S.DELIVERED).update(
            status=S.DELIVERED,
            delivered_at=timezone.now(),
            provider_id=provider_id or row.provider_id,
        )
    elif status in ("failed", "undelivered"):
        failed = (
            Notification.objects.filter(pk=row.pk)
            .exclude(status__in=[S.DELIVERED, S.FAILED])
            .update(
                status=S.FAILED,
                last_error=f"The provider reported {status}",
                reason=FAILED_REASON,
                provider_id=provider_id or row.provider_id,
            )
        )
        if failed and row.to_victim:
            _tell_supervisors_about(row)
    elif status in ("sent", "queued", "accepted", "sending"):
        # The provider has it: a send whose outcome we did not know did reach it. A row the
        # provider itself reported failed has its sid, and a late "sent" must not hide that.
        Notification.objects.filter(
            Q(status=S.SENDING) | Q(status=S.FAILED, provider_id=""), pk=row.pk
        ).update(status=S.SENT, provider_id=provider_id or row.provider_id)


@transaction.atomic
def retry(*, notification: Notification, actor: AbstractBaseUser) -> Notification:
    """A supervisor sends a failed message again (safe contact is asked again when it goes)."""
    row = Notification.objects.select_for_update().get(pk=notification.pk)
    if row.status != S.FAILED:
        return row
    row.status, row.not_before = S.PENDING, None
    row.reason = f"Retried by {actor.get_username()}"
    row.save(update_fields=["status", "not_before", "reason"])
    queue_on_commit([row])
    return row
