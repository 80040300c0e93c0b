"""The data-protection lifecycle's records: how long each kind of data is kept, legal holds,
what retention and erasure removed (counts, never content), erasure and subject-access requests,
tombstones, unusual-access alerts and the progress of a key rotation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from project.crypto import EncryptedTextField


class Category(models.TextChoices):
    """The kinds of data retention counts separately (issue 15 part 1)."""

    CASE_CONTENT = "case_content", "Case content"
    CONTACT_DETAILS = "contact_details", "Contact details"
    RECORDINGS = "recordings", "Recordings and transcripts"
    MESSAGES = "messages", "Messages"
    ACCESS_LOGS = "access_logs", "Access logs"
    FEED_RECORDS = "feed_records", "Feed records"
    DISCARDED_REPORTS = "discarded_reports", "Discarded reports"
    EXPORTS = "exports", "Exports"


# The periods a helpline starts with (seeded by migration 0002; admins change them): days, and
# what they count from. A category without a row is kept for its default (privacy.retention).
DEFAULT_RETENTION: dict[str, tuple[int, str]] = {
    Category.CASE_CONTENT: (6 * 365, "the case is closed"),
    Category.CONTACT_DETAILS: (365, "the case is closed"),
    Category.RECORDINGS: (365, "the case is closed"),
    Category.MESSAGES: (2 * 365, "the case is closed"),
    Category.ACCESS_LOGS: (6 * 365, "the read"),
    Category.FEED_RECORDS: (2 * 365, "the feed record is created"),
    Category.DISCARDED_REPORTS: (90, "the report is discarded"),
    Category.EXPORTS: (30, "the export is made"),
}


class RetentionRule(models.Model):
    """How long one category of data is kept, edited by admins; seeded with defaults."""

    category = models.CharField(max_length=24, choices=Category.choices, unique=True)
    days = models.PositiveIntegerField(help_text="Days kept, counted from the event below.")
    # what the days count from, in words for the admin page ("the case is closed")
    counted_from = models.CharField(max_length=200, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.days} days"


class LegalHold(models.Model):
    """While a hold is on (not lifted), nothing of its case or person is removed by retention."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="legal_holds"
    )
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="legal_holds"
    )
    reason = EncryptedTextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False, person__isnull=True)
                | Q(case__isnull=True, person__isnull=False),
                name="hold_on_a_case_or_a_person",
            )
        ]

    def __str__(self) -> str:
        return f"Legal hold {self.pk}"


class DeletionRecord(models.Model):
    """What one run of retention or one erasure removed: a category and a count, never content."""

    class Cause(models.TextChoices):
        RETENTION = "retention", "Retention period passed"
        ERASURE = "erasure", "Erasure request"
        EXPIRY = "expiry", "Export expired"

    cause = models.CharField(max_length=16, choices=Cause.choices)
    category = models.CharField(max_length=24, choices=Category.choices)
    count = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    # the erasure request it carried out, if any (its id only)
    erasure = models.ForeignKey(
        "privacy.ErasureRequest", on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        ordering = ["-at", "pk"]

    def __str__(self) -> str:
        return f"{self.count} {self.get_category_display()} ({self.get_cause_display()})"


class ErasureRequest(models.Model):
    """A person asked to be erased (UK GDPR art. 17). One DPO asks, another approves (four eyes);
    carrying it out leaves the request with the person's id only (privacy.erasure)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        REFUSED = "refused", "Refused"
        DONE = "done", "Carried out"

    class Ground(models.TextChoices):
        WITHDRAWN = "withdrawn", "Consent withdrawn"
        NO_LONGER_NEEDED = "no_longer_needed", "No longer needed for the purpose"
        OBJECTION = "objection", "The person objects to the processing"
        UNLAWFUL = "unlawful", "Processed unlawfully"
        OTHER = "other", "Another ground"

    # the person's id, kept after their row is erased (not a foreign key: it must outlive them)
    person_id = models.BigIntegerField(db_index=True)
    ground = models.CharField(max_length=24, choices=Ground.choices)
    reasons = EncryptedTextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = EncryptedTextField(blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at"]
        permissions = [("manage_erasure", "Ask for, approve and carry out erasures")]

    def __str__(self) -> str:
        return f"Erasure request {self.pk}"


class Tombstone(models.Model):
    """A person erased: re-applied after a restore from a backup older than the erasure. The same
    list is kept in a file outside the database (privacy.erasure), which a restore cannot undo."""

    person_id = models.BigIntegerField(unique=True)
    erased_at = models.DateTimeField(default=timezone.now)
    request = models.ForeignKey(ErasureRequest, on_delete=models.PROTECT, null=True, blank=True)

    def __str__(self) -> str:
        return f"Person {self.person_id} erased"


class SubjectAccessRequest(models.Model):
    """A person asked for a copy of their data (UK GDPR art. 15): due a calendar month after it
    was received, rolled to the next working day. The export file is encrypted and expires."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        EXPORTED = "exported", "Exported"
        EXPIRED = "expired", "Export expired"

    person_id = models.BigIntegerField(db_index=True)
    received_on = models.DateField()
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # the encrypted ZIP in storage (a random name), and when it is removed
    export_file = models.CharField(max_length=200, blank=True, default="")
    exported_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "pk"]
        permissions = [("export_subject_data", "Export everything held about a person")]

    def __str__(self) -> str:
        return f"Subject access request {self.pk}"


class AccessAlert(models.Model):
    """Someone's reading looked unusual (many more cases than usual, outside their queue, at odd
    hours): one row per person, kind and window, so each is raised once (privacy.unusual)."""

    class Kind(models.TextChoices):
        VOLUME = "volume", "Read many more cases than usual"
        OUTSIDE_QUEUE = "outside_queue", "Read cases outside their queue"
        ODD_HOURS = "odd_hours", "Read cases at odd hours"
        MASS_EXPORT = "mass_export", "Exported many cases"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    window_start = models.DateTimeField()
    reads = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("review_access", "See who read a case; review break-glass and unusual access"),
            ("manage_retention", "See what retention removes next; place and lift legal holds"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "window_start"], name="one_alert_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.user_id})"


class KeyRotation(models.Model):
    """How far rotate_keys got through one table: it resumes after `last_pk`."""

    table = models.CharField(max_length=120)
    # which key (its fingerprint, never the key) everything is being moved under
    key_id = models.CharField(max_length=16)
    last_pk = models.BigIntegerField(default=0)
    rows = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["table", "key_id"], name="one_rotation_per_table_key")
        ]

    def __str__(self) -> str:
        return f"Rotation of {self.table}"
