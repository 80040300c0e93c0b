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
        # through Twilio's WhatsApp sender, to a `whatsapp:` address
        WHATSAPP = "whatsapp", "WhatsApp"
        # a message the victim reads when signed in to the portal: nothing leaves Lantern
        PORTAL = "portal", "Portal"

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
    # Decided when it is queued and read again when it is sent, never re-derived from `kind`:
    # an automatic update goes only to a victim who asked for updates; words staff typed do not
    # need that wish (a reply was refused at send time when this was guessed from the kind).
    automated = models.BooleanField(default=False)
    # Its words name an organisation (a template marked so, or found when queued): never sent to
    # a victim who asked us not to name it.
    names_organisation = models.BooleanField(default=False)
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


# Words that say who is writing as plainly as a name: "your helpline" outs the sender too.
REVEALING_WORDS = ("helpline",)


def names_an_organisation(*texts: str) -> bool:
    """Whether the words name any organisation Lantern knows (or say "helpline"): such words must
    never reach a victim who asked us not to name the organisation (the update message types'
    admin warns of them; message_victim checks each message against the case's own)."""
    from accounts.models import Organisation

    words = " ".join(texts).casefold()
    names = [name.casefold() for name in Organisation.objects.values_list("name", flat=True)]
    return any(name and name in words for name in [*names, *REVEALING_WORDS])


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


class AlertDefault(models.Model):
    """An organisation's choice of how one kind of alert reaches staff of one role who never set
    their own (an admin edits it). Without a row the built-in defaults apply
    (notifications.preferences.ROLE_ALERT_DEFAULTS); a person's own AlertPreference beats both."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="alert_defaults"
    )
    role = models.CharField(max_length=16)
    kind = models.CharField(max_length=64)
    email = models.BooleanField(default=False)
    sms = models.BooleanField(default=False)
    only_on_duty = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "role", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "role", "kind"], name="one_alert_default_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.role}s of {self.organisation_id}"


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


class CannedReply(models.Model):
    """A reply an admin wrote and vetted, which staff insert with `/` in the chat and message boxes
    (UX.md 10). For one helpline (or every one, when none is set) and one language. Placeholders
    `{operator_first_name}` and `{case_ref}` are filled when it is inserted; nothing else of a case
    ever goes into one."""

    helpline = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": "helpline"},
        help_text="Leave empty for every helpline.",
    )
    language = models.ForeignKey(
        "cases.Language",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Leave empty for the wording used when none is written in the victim's language.",
    )
    shortcut = models.SlugField(max_length=40, help_text="What staff type after / to find it.")
    title = models.CharField(max_length=100)
    text = models.TextField(max_length=1000)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["shortcut", "pk"]
        verbose_name_plural = "canned replies"
        constraints = [
            models.UniqueConstraint(
                fields=["helpline", "language", "shortcut"],
                name="one_canned_reply_per_shortcut",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut}"
