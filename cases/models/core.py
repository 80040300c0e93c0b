from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organisation
from cases.tokens import TOKEN_LENGTH, name_tokens
from project.crypto import (
    EncryptedCharField,
    EncryptedJSONField,
    EncryptedTextField,
    blind_index,
    normalise_text,
)


class Lookup(models.Model):
    """An entry of a list that admins edit (DESIGN rule 10). Codes are stable; labels may change.
    Entries are retired with `is_active`, never deleted, so old cases keep their meaning."""

    code = models.SlugField(max_length=64, unique=True)
    label = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        abstract = True
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label


class Category(Lookup):
    """A kind of harm reported (physical, sexual, economic...)."""

    history = HistoricalRecords()

    class Meta(Lookup.Meta):
        verbose_name_plural = "categories"


class ServiceType(Lookup):
    """A kind of service an organisation gives a victim (counselling, shelter, legal aid...)."""

    # shown as a one-tap button on the case page, so the common services take three taps to log
    quick = models.BooleanField(default=False, help_text="Offer as a one-tap button.")
    history = HistoricalRecords()


class FollowUpKind(Lookup):
    """A kind of follow-up task a caseworker sets themselves (call back, court date...)."""

    history = HistoricalRecords()


class DiscardReason(Lookup):
    """Why a report was not a case (prank, wrong number, test...)."""

    history = HistoricalRecords()


class Relationship(Lookup):
    """How a perpetrator is related to the victim."""

    history = HistoricalRecords()


class Area(Lookup):
    """Where a case belongs for the figures (a district, a borough). The incident's own location is
    encrypted free text, so reports filter and count by this list instead."""

    history = HistoricalRecords()


class Language(Lookup):
    """A language a person may need to be spoken to in (an interpreter is a flag of its own)."""

    history = HistoricalRecords()


class RiskLevel(models.TextChoices):
    STANDARD = "standard", "Standard risk"
    MEDIUM = "medium", "Medium risk"
    HIGH = "high", "High risk"


class CaseNumber(models.Model):
    """One row per case number ever handed out. The auto-increment key is the serial: the database
    allocates it without a lock, a rolled-back case leaves a gap, and no number is ever reused."""

    allocated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Case number {self.pk}"


class Case(models.Model):
    """A report that has become a case: the unit operators triage, CSOs serve, monitors count."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_TRIAGE = "in_triage", "In triage"
        DISCARDED = "discarded", "Discarded"
        VERIFIED = "verified", "Verified"
        REFERRED = "referred", "Referred"
        IN_SERVICE = "in_service", "In service"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"
        ARCHIVED = "archived", "Archived"
        # joined into another case (merged_into); read-only, undone by a supervisor's unmerge
        MERGED = "merged", "Merged"

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        VOICE = "voice", "Phone"
        WEB = "web", "Web form"
        FEED = "feed", "Police feed"
        API = "api", "API"
        # opened by staff themselves (cases.manual)
        WALK_IN = "walk_in", "Walk-in"
        PHONE = "phone", "Phone (outside line)"
        PARTNER = "partner", "Partner"
        EMAIL = "email", "Email"
        OTHER = "other", "Other"
        # live conversations (live, chat): WhatsApp through Twilio's sender, the public web chat
        WHATSAPP = "whatsapp", "WhatsApp"
        CHAT = "chat", "Web chat"

    class Priority(models.TextChoices):
        STANDARD = "standard", "Standard"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    number = models.CharField(max_length=32, unique=True)
    helpline = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, null=True, blank=True)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.STANDARD)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_cases",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # when it was first claimed (never cleared): the reports' "time to first contact", kept here
    # because finding it in the history for a year of cases takes seconds
    first_claimed_at = models.DateTimeField(null=True, blank=True)
    # a call that ended without a message: someone must call back (when that is safe)
    needs_callback = models.BooleanField(default=False)
    discard_reason = models.ForeignKey(
        DiscardReason, on_delete=models.PROTECT, null=True, blank=True
    )
    discard_note = EncryptedTextField(blank=True, default="")
    incident_occurred_at = models.DateTimeField(null=True, blank=True)
    incident_location = EncryptedTextField(blank=True, default="")
    incident_description = EncryptedTextField(blank=True, default="")
    # when the case was last closed: archival counts from here (cleared when it is reopened)
    closed_at = models.DateTimeField(null=True, blank=True)
    # counts changes to the case's details: a write that read an older version is refused (409)
    version = models.PositiveIntegerField(default=1)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_cases"
    )
    # the latest risk assessment's outcome, kept here for the queue, lists and figures
    risk_level = models.CharField(max_length=8, choices=RiskLevel.choices, blank=True, default="")
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    risk_assessed_at = models.DateTimeField(null=True, blank=True)
    # whose queue it is in (cases.routing); none: the helpline's shared queue
    team = models.ForeignKey(
        "cases.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    # the gazetteer entry the incident's location was matched to (cases.places)
    place = models.ForeignKey(
        "cases.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    # only people named on it read it; others break the glass with a reason (cases.sealing)
    sealed = models.BooleanField(default=False)
    # its content was removed by retention (privacy.scrub): the row stays, counted in the figures
    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("view_identities", "See the names and contact details of people on a case"),
            ("work_case", "Claim, verify, discard and update cases"),
            ("supervise_case", "Reassign cases and release other people's claims"),
            ("view_figures", "See dashboards and reports"),
        ]
        indexes = [
            # the live queue and every list: a helpline's cases by status, newest first
            models.Index(fields=["helpline", "status", "created_at"]),
            # the daily archival: closed cases by when they were closed
            models.Index(fields=["status", "closed_at"]),
            # cases by when they came in; for snapshot reports (dashboards.reports) a period's cases
            # are grouped and filtered by these columns from the index alone, however the table's
            # rows lie on disk (PostgreSQL; elsewhere it is a plain created_at index)
            models.Index(
                fields=["created_at"],
                include=[
                    "helpline",
                    "status",
                    "channel",
                    "category",
                    "priority",
                    "area",
                    "discard_reason",
                    "first_claimed_at",
                    "closed_at",
                    "risk_level",
                ],
                name="case_snapshot",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_read_only(self) -> bool:
        return self.status in (Case.Status.ARCHIVED, Case.Status.MERGED)


class Person(models.Model):
    """Someone named on a case. What identifies them is encrypted; the blind indexes let staff find a
    person again by exact phone number or full name without a plaintext copy."""

    name = EncryptedCharField(max_length=400, blank=True, default="")
    name_index = models.CharField(max_length=64, blank=True, db_index=True)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    ethnicity = models.CharField(max_length=100, blank=True)
    phone = EncryptedCharField(max_length=400, blank=True, default="")  # E.164
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    address = EncryptedTextField(blank=True, default="")
    date_of_birth = EncryptedCharField(max_length=400, blank=True, default="")  # ISO date
    language = models.ForeignKey(Language, on_delete=models.PROTECT, null=True, blank=True)
    # how, when and whether it is safe to contact this person (issue: safe contact)
    contact_preferences = EncryptedJSONField(default=dict, blank=True)
    # erased on request (privacy.erasure): what identified them is gone, the row keeps the cases'
    # shape; restricted: kept under an exemption (a legal claim), out of everyday views (DP-09)
    erased_at = models.DateTimeField(null=True, blank=True)
    processing_restricted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return f"Person {self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        # The indexes are derived from the encrypted values: keep them in step on every save.
        self.name_index = blind_index(normalise_text(self.name)) if self.name else ""
        self.phone_index = blind_index(self.phone) if self.phone else ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "name_index", "phone_index"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if update_fields is None or "name" in update_fields:
            self._index_name()

    def _index_name(self) -> None:
        """The fuzzy-search tokens follow the name (cases.tokens); a name cleared leaves none."""
        wanted = name_tokens(self.name) if self.name else set()
        have = set(self.tokens.values_list("token", flat=True)) if self.pk else set()
        if wanted == have:
            return
        self.tokens.exclude(token__in=wanted).delete()
        PersonToken.objects.bulk_create(
            [PersonToken(person=self, token=token) for token in wanted - have]
        )


class PersonToken(models.Model):
    """One keyed token of a person's name (cases.tokens): fuzzy search without plaintext."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tokens")
    token = models.CharField(max_length=TOKEN_LENGTH)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "person"], name="one_token_per_person")
        ]

    def __str__(self) -> str:
        return f"Name token of person {self.person_id}"


class CasePerson(models.Model):
    """A person's part in a case: victim, perpetrator (with their relationship to the victim) or
    the reporter who contacted us for them."""

    class Role(models.TextChoices):
        VICTIM = "victim", "Victim"
        PERPETRATOR = "perpetrator", "Perpetrator"
        REPORTER = "reporter", "Reporter"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    role = models.CharField(max_length=16, choices=Role.choices)
    relationship = models.ForeignKey(Relationship, on_delete=models.PROTECT, null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "person", "role"], name="one_role_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} on case {self.case_id}"


class Report(models.Model):
    """The raw inbound record: one SMS, call, web form or feed row, stored before anything else.
    (channel, source_id) is unique, so a provider's retry can never make a second report."""

    # a victim's portal message: a channel of reports only, never of cases (no case opens by it)
    PORTAL = "portal"
    CHANNELS = [*Case.Channel.choices, (PORTAL, "Victim portal")]

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports")
    channel = models.CharField(max_length=8, choices=CHANNELS)
    source_id = models.CharField(max_length=128)  # MessageSid, CallSid, form token, feed row id
    received_at = models.DateTimeField(default=timezone.now)
    sender = EncryptedCharField(max_length=400, blank=True, default="")  # E.164 when a phone
    sender_index = models.CharField(max_length=64, blank=True)
    body = EncryptedTextField(blank=True, default="")
    media = EncryptedJSONField(default=list, blank=True)
    recording_sid = models.CharField(max_length=64, blank=True, db_index=True)
    recording_url = EncryptedTextField(blank=True, default="")  # provider's; never shown as is
    recording_duration = models.PositiveIntegerField(null=True, blank=True)  # seconds
    transcription = EncryptedTextField(blank=True, default="")
    # the recording kept encrypted in Lantern's storage (intake.recordings): a random name there;
    # once it is stored, the provider's copy is deleted and recording_url is cleared
    recording_file = models.CharField(max_length=200, blank=True, default="")
    raw = EncryptedJSONField(default=dict, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "source_id"], name="one_report_per_source_id"
            )
        ]
        indexes = [
            # repeat contact and "the open case of this number": newest report from a number
            models.Index(fields=["sender_index", "received_at"], name="report_sender_newest"),
            # the live dashboard's "reports in the last hour, today" by channel, from the index
            # alone (PostgreSQL; elsewhere a plain received_at index)
            models.Index(
                fields=["received_at"], include=["channel", "case"], name="report_received"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} report {self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.sender_index = blind_index(self.sender) if self.sender else ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "sender_index"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class CaseNote(models.Model):
    """Something an organisation wrote on a case. Internal notes are its own staff's alone; shared
    ones (a resolution remark, why a case is sent back) go to everyone working on the case. Never
    to monitors, and never another organisation's internal notes (cases.policy.notes_visible)."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        RESOLUTION = "resolution", "Resolution remark"
        SENT_BACK = "sent_back", "Sent back"
        CLOSING = "closing", "Closing remark"
        REOPENED = "reopened", "Reopened"
        CONSENT_OVERRIDE = "consent_override", "Consent override"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.NOTE)
    shared = models.BooleanField(default=False)
    text = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} on case {self.case_id}"


class PriorityTarget(models.Model):
    """How long a case of one priority may wait, edited by admins (read through cases.targets)."""

    priority = models.CharField(max_length=8, choices=Case.Priority.choices, unique=True)
    sla_minutes = models.PositiveIntegerField(
        "minutes a new report may wait unclaimed",
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
        help_text="Past this, the report shows as overdue and the helpline's supervisors are told.",
    )
    accept_hours = models.PositiveIntegerField(
        "hours to accept or decline a referral",
        validators=[MinValueValidator(1), MaxValueValidator(90 * 24)],
        help_text="A referral made from now on must be answered within this; past it the "
        "referrer and their supervisors are told. Referrals already made keep their deadline.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "deadline by priority"
        verbose_name_plural = "deadlines by priority"

    def __str__(self) -> str:
        return f"{self.get_priority_display()} priority"
