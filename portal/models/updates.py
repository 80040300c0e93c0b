"""Update message types (seeds 002/004: "there is an update for you", up to 120 kinds): admins
define them (DESIGN rule 10) with what sets each off, the words per language and the channels of
the neutral notice. An update is what the victim reads in the portal; the message that tells them
of it says only that there is one, with the portal's link, never the update itself."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from project.crypto import EncryptedTextField


class UpdateType(models.Model):
    class Trigger(models.TextChoices):
        CASE_EVENT = "case_event", "A case event"
        PARTNER_EVENT = "partner_event", "A partner event (from a crime system)"
        STAFF = "staff", "Sent by staff"
        # Lantern's own portal messages (invitation, sign-in code, new message): their words are
        # edited here like any other, but nothing shows on the victim's timeline.
        SYSTEM = "system", "The portal itself"

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    # A case event code (cases.events) or a partner event type code (feeds); empty for staff.
    event = models.CharField(max_length=64, blank=True, default="")
    # The notice's channels, in order of preference ("sms", "email"); the first the victim's
    # safe-contact answers allow is used.
    channels = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]
        indexes = [models.Index(fields=["trigger", "event"])]

    def __str__(self) -> str:
        return self.name


class UpdateText(models.Model):
    """The words of one update type in one language: what the victim reads in the portal (title,
    body) and the neutral notice (subject for email, notice text with {link})."""

    update_type = models.ForeignKey(UpdateType, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8, default="en")
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    subject = models.CharField(max_length=200, blank=True, help_text="Email only.")
    notice = models.TextField(
        help_text="The message that tells the victim there is something in the portal. Plain, "
        "neutral words: {link} is the portal's address."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["update_type", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["update_type", "language"], name="one_update_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.update_type} ({self.language})"


class PortalUpdate(models.Model):
    """One update on a case's portal timeline, in the victim's language as it was when made."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="portal_updates")
    update_type = models.ForeignKey(UpdateType, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    body = EncryptedTextField(blank=True, default="")  # may carry an appointment's time
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notice = models.ForeignKey(  # the outbox row that told the victim, if one could go
        "notifications.Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"Update {self.pk} on case {self.case_id}"
