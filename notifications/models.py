from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from project.crypto import EncryptedCharField, EncryptedTextField


class Notification(models.Model):
    """One message to one person, staff or victim: a row written in the transaction of the change
    that caused it (the outbox, DESIGN rule 6), delivered after commit by Celery; a sweeper re-queues
    rows whose publish was lost. A message to a victim was allowed by the safe-contact function
    (notifications.safe_contact) or is kept `suppressed` with the reason. Staff messages carry a
    case number and neutral words, never a victim's details."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", "In the app"
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Not sent (safe contact)"

    # staff member, or (for a message to a victim) the person on a case
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=64)  # e.g. "case.message_received", "victim.case_closed"
    case_number = models.CharField(max_length=32, blank=True)
    text = EncryptedTextField()
    subject = models.CharField(max_length=200, blank=True)  # email only; never personal data
    # where it goes (E.164 phone or email), fixed when it is queued; empty for in-app
    destination = EncryptedCharField(max_length=400, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=300, blank=True)  # why suppressed or failed, in words
    not_before = models.DateTimeField(null=True, blank=True)  # held until the victim's safe hours
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # sent with every provider call, so a retry of the same row is recognised as the same message
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider_id = models.CharField(max_length=64, blank=True, db_index=True)  # Twilio MessageSid
    sent_by = models.ForeignKey(  # the member of staff who typed it, for a reply to a victim
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages_sent",
    )
    overridden_by = models.ForeignKey(  # a supervisor sent it past a safe-contact refusal
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contact_overrides",
    )
    override_reason = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the sweeper: pending rows older than a minute
            models.Index(fields=["status", "created_at"]),
            # a person's unread list
            models.Index(fields=["recipient", "read_at"]),
            # a case's messages to its victim
            models.Index(fields=["case", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.kind} ({self.pk})"

    @property
    def to_victim(self) -> bool:
        return self.person_id is not None


class MessageTemplate(models.Model):
    """The words of a message to a victim at a milestone, per language and channel, edited by
    admins (DESIGN rule 10). The defaults are neutral: no organisation, no case details."""

    class Milestone(models.TextChoices):
        REPORT_RECEIVED = "report_received", "Report received"
        CASE_TAKEN_ON = "case_taken_on", "Case taken on"
        REFERRAL_ACCEPTED = "referral_accepted", "Referred and accepted"
        APPOINTMENT = "appointment", "Appointment"
        CASE_CLOSED = "case_closed", "Case closed"

    milestone = models.CharField(max_length=32, choices=Milestone.choices)
    language = models.CharField(max_length=8, default="en")
    channel = models.CharField(
        max_length=8,
        choices=[(Notification.Channel.SMS, "SMS"), (Notification.Channel.EMAIL, "Email")],
    )
    subject = models.CharField(max_length=200, blank=True, help_text="Email only.")
    text = models.TextField(
        help_text="Plain words. {when} is replaced by an appointment's date and time. Name no "
        "organisation unless every victim it goes to may safely read it."
    )
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["milestone", "language", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "language", "channel"], name="one_template_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_milestone_display()} ({self.language}, {self.channel})"


class AlertPreference(models.Model):
    """How one member of staff wants one kind of alert: in the app always, and by email or SMS
    as they choose, perhaps only while on duty."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preferences"
    )
    kind = models.CharField(max_length=64)
    email = models.BooleanField(default=False)
    sms = models.BooleanField(default=False)
    only_on_duty = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_alert")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


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
