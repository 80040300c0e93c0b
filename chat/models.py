"""The public web chat: a conversation between an anonymous visitor and an operator, on a case
opened at its first message. The transcript is stored encrypted; the visitor's browser keeps
nothing (the secret that lets a dropped socket rejoin lives in the page's memory only)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from project.crypto import EncryptedTextField


class Conversation(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for an operator"
        ACTIVE = "active", "With an operator"
        CLOSED = "closed", "Closed"

    class ClosedBy(models.TextChoices):
        VISITOR = "visitor", "The visitor left"
        OPERATOR = "operator", "The operator ended it"
        TIMEOUT = "timeout", "Nobody wrote for a while"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="chats")
    helpline = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    # sha256 of the visitor's secret: whoever holds the secret speaks for the visitor
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=16, choices=ClosedBy.choices, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["status", "last_activity_at"], name="chat_open")]

    def __str__(self) -> str:
        return f"Chat {self.pk}"


class ChatMessage(models.Model):
    class Sender(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        OPERATOR = "operator", "Operator"
        SYSTEM = "system", "Lantern"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.CharField(max_length=16, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = EncryptedTextField()
    sent_at = models.DateTimeField(default=timezone.now)
    # the sender's own id for the message, so a resend after a dropped socket is stored once
    client_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "sender", "client_id"],
                condition=~models.Q(client_id=""),
                name="one_chat_message_per_client_id",
            )
        ]

    def __str__(self) -> str:
        return f"Chat message {self.pk}"
