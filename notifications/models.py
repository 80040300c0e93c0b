from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    """One message to one person, written in the transaction of the change that caused it (the
    outbox, DESIGN rule 6) and delivered after commit by Celery; a sweeper re-queues rows whose
    publish was lost. Carries a case number and neutral text, never a victim's details."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", "In the app"
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=64)  # e.g. "case.message_received"
    case_number = models.CharField(max_length=32, blank=True)
    text = models.CharField(max_length=500)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the sweeper: pending rows older than a minute
            models.Index(fields=["status", "created_at"]),
            # a person's unread list
            models.Index(fields=["recipient", "read_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.kind} to {self.recipient_id}"


class SmsKeyword(models.Model):
    """A STOP or START (or their synonyms) received from a phone. The latest one per phone decides
    whether it may be texted at all; kept per message so a retried webhook changes nothing."""

    class Keyword(models.TextChoices):
        STOP = "stop", "Stop"
        START = "start", "Start"

    message_sid = models.CharField(max_length=64, unique=True)
    phone_index = models.CharField(max_length=64)  # blind index of the E.164 number
    keyword = models.CharField(max_length=8, choices=Keyword.choices)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["phone_index", "received_at"])]

    def __str__(self) -> str:
        return f"{self.keyword} ({self.message_sid})"
