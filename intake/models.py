from __future__ import annotations

from django.db import models
from django.utils import timezone


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
