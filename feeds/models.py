"""Police and partner feeds: sources and their profiles, import batches, the records every row
becomes (kept with their versions whether or not they open a case), partner systems, the events
they send us and the webhooks we send them (an outbox of its own, with a delivery log)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organisation
from cases.models import Case, Lookup
from project.crypto import EncryptedCharField, EncryptedJSONField, EncryptedTextField


class FeedSource(models.Model):
    """A police force's or partner's files, read by its profile (CONTRACT "Police and partner
    feeds"; feeds.profiles checks it). Every change of the profile is kept (history) and numbered,
    and each batch records the version it was read with."""

    class Kind(models.TextChoices):
        CRIMES = "crimes", "Crime records"
        PLACES = "places", "Gazetteer of places (UPRN)"

    slug = models.SlugField(unique=True, max_length=64)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CRIMES)
    # where the cases its rows open go (crime sources only)
    helpline = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="feed_sources"
    )
    profile = models.JSONField(default=dict)
    profile_version = models.PositiveIntegerField(default=1)
    # scheduled pulls (feeds.pulls): a folder on this machine to watch, or an HTTPS address
    watch_folder = models.CharField(max_length=500, blank=True)
    pull_url = models.URLField(max_length=500, blank=True)
    pull_every_minutes = models.PositiveIntegerField(null=True, blank=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    last_pull_error = models.CharField(max_length=300, blank=True)  # in words, never a row
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    """One file read from a source: its status, counts and where a running import has reached
    (`rows_done`, saved with each chunk it commits, so a restarted worker carries on from there)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        ROLLED_BACK = "rolled_back", "Rolled back"

    class Origin(models.TextChoices):
        UPLOAD = "upload", "Uploaded on the page"
        API = "api", "Sent to the API"
        COMMAND = "command", "import_feed command"
        FOLDER = "folder", "Watched folder"
        URL = "url", "Fetched from the source's address"

    source = models.ForeignKey(FeedSource, on_delete=models.PROTECT, related_name="batches")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    dry_run = models.BooleanField(default=False)
    origin = models.CharField(max_length=8, choices=Origin.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=255, blank=True)  # as it came, for the report
    stored_file = models.CharField(max_length=500, blank=True)  # where feeds.files keeps it
    checksum = models.CharField(max_length=64, db_index=True)  # SHA-256 of the file's bytes
    size = models.PositiveBigIntegerField(default=0)
    profile_version = models.PositiveIntegerField(default=1)
    encoding = models.CharField(max_length=32, blank=True)  # as detected or as the profile said
    rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    cases_opened = models.PositiveIntegerField(default=0)
    failure = models.CharField(max_length=300, blank=True)  # in words, never a row's content
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rollback_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.source}"


class RowError(models.Model):
    """Why one row was rejected: its number in the file, the field and a message that never
    repeats the value (it may be personal)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField()
    field = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=300)

    class Meta:
        ordering = ["row", "pk"]

    def __str__(self) -> str:
        return f"Row {self.row}: {self.message}"


class FeedRecord(models.Model):
    """What one row of a source says, kept whether or not it opened a case. Matched on
    (source, key): the crime reference, or for rows without one a hash of their canonical content.
    Personal fields are encrypted; the rest is the canonical record (feeds.profiles)."""

    # No database constraint on the keys a bulk import writes per row (source, batches): checked
    # at each chunk's commit they halved an import's speed (bench/feeds.py). Only the engine
    # writes them, from rows it has just locked, and Django's PROTECT still guards deletes.
    source = models.ForeignKey(
        FeedSource, on_delete=models.PROTECT, related_name="records", db_constraint=False
    )
    key = models.CharField(max_length=128)
    crime_reference = models.CharField(max_length=128, blank=True, db_index=True)
    content_hash = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    personal = EncryptedJSONField(default=dict, blank=True)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="feed_records"
    )
    first_batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    last_batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="one_record_per_source_key")
        ]
        indexes = [models.Index(fields=["last_batch"], name="feed_record_last_batch")]

    def __str__(self) -> str:
        return f"Feed record {self.pk}"


class FeedRecordVersion(models.Model):
    """What a record held before a batch changed it (its history): written by the batch that
    changes the record, holding the content it replaces, with `batch` the batch that wrote that
    content. Rolling a batch back restores each record it changed from its newest version (and
    deletes that version), and removes the records it created."""

    record = models.ForeignKey(
        FeedRecord, on_delete=models.CASCADE, related_name="versions", db_constraint=False
    )
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="versions", db_constraint=False
    )
    content_hash = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    personal = EncryptedJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record", "-pk"]
        indexes = [models.Index(fields=["batch"], name="feed_version_batch")]

    def __str__(self) -> str:
        return f"Version {self.pk} of feed record {self.record_id}"


class Partner(models.Model):
    """Another agency's system (a force's crime system) that sends us events and receives our
    webhooks, both signed with its secret. While a secret is rotated the previous one stays valid
    until `previous_secret_until`, so neither side has downtime."""

    slug = models.SlugField(unique=True, max_length=64)
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500, blank=True)  # where our webhooks go
    helpline = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="partners"
    )
    secret = EncryptedCharField(max_length=400)
    previous_secret = EncryptedCharField(max_length=400, blank=True, default="")
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(excluded_fields=["secret", "previous_secret"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerEventType(Lookup):
    """A kind of event a crime system sends ("suspect charged", "court date set", "no further
    action"): its words on the case's timeline. Whether and what the victim is told is an update
    message type with this event as its trigger (portal.models.UpdateType), in the portal, with a
    neutral notice through the safe-contact gate. Admins add as many as they need."""

    history = HistoricalRecords()


class PartnerEvent(models.Model):
    """An event a partner sent, kept once per (partner, event_id): a replay changes nothing. One
    whose crime reference matches no case waits for reconciliation instead of being dropped."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "On the case's timeline"
        UNMATCHED = "unmatched", "No case has this crime reference yet"
        RECONCILED = "reconciled", "Matched to a case later"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=128)
    type = models.CharField(max_length=64)
    reference = EncryptedTextField(blank=True, default="")  # the crime reference as sent
    reference_index = models.CharField(max_length=64, blank=True, db_index=True)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="partner_events"
    )
    occurred_at = models.DateTimeField()
    data = EncryptedJSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "event_id"], name="one_event_per_id")
        ]

    def __str__(self) -> str:
        return f"Event {self.event_id} from {self.partner}"


class PartnerDelivery(models.Model):
    """A webhook to a partner, written in the transaction of the change that caused it and sent
    by Celery with retries and backoff (the outbox's rules); its attempts are the partner's
    delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENT = "sent", "Delivered"
        FAILED = "failed", "Gave up"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=64)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payload = EncryptedJSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "partner deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="partner_outbox_due")]

    def __str__(self) -> str:
        return f"Webhook {self.event_id} to {self.partner}"


class DeliveryAttempt(models.Model):
    """One try at sending a webhook: the partner's delivery log, kept per try."""

    delivery = models.ForeignKey(PartnerDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)  # in words; never the payload
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"Try {self.pk} of {self.delivery}"
