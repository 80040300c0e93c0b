from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from project.crypto import EncryptedCharField, EncryptedJSONField, EncryptedTextField


class DeliveryReceipt(models.Model):
    """A delivery status Twilio reported for an outbound message (queued, sent, delivered, failed,
    undelivered). One row per (message, status), so a retried callback changes nothing; the outbox
    reads the latest status of its own messages."""

    message_sid = models.CharField(max_length=64)
    status = models.CharField(max_length=16)
    error_code = models.CharField(max_length=16, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message_sid", "status"], name="one_receipt_per_status")
        ]

    def __str__(self) -> str:
        return f"{self.message_sid}: {self.status}"


class UnroutedMessage(models.Model):
    """An SMS to a number no helpline claims, when no default helpline is set: kept (encrypted)
    instead of refused, until a helpline's supervisor takes it, which makes it a report and case
    of theirs. One row per MessageSid, so Twilio's retries change nothing."""

    message_sid = models.CharField(max_length=64, unique=True)
    to_number = models.CharField(max_length=40, blank=True)  # ours: the line it was sent to
    received_at = models.DateTimeField(default=timezone.now)
    sender = EncryptedCharField(max_length=400, blank=True, default="")
    body = EncryptedTextField(blank=True, default="")
    media = EncryptedJSONField(default=list, blank=True)
    raw = EncryptedJSONField(default=dict, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["received_at", "pk"]
        indexes = [models.Index(fields=["taken_at", "received_at"], name="unrouted_waiting")]

    def __str__(self) -> str:
        return f"Unrouted message {self.pk}"
