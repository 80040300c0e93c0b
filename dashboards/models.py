from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExportKind(models.TextChoices):
    FIGURES_CSV = "figures_csv", "Figures (CSV)"
    FIGURES_XLSX = "figures_xlsx", "Figures (XLSX)"
    CASES_CSV = "cases_csv", "Case list (CSV)"
    CASES_XLSX = "cases_xlsx", "Case list (XLSX)"
    SNAPSHOT_PDF = "snapshot_pdf", "Snapshot report (PDF)"


class ExportJob(models.Model):
    """A case list too long to build in the request, built by Celery (dashboards.tasks). Its file
    is kept here, for its owner only, until `expires_at`."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being built"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    filters = models.JSONField(default=dict)  # filter names and values only (dashboards.reports)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent of the rows written
    row_count = models.PositiveIntegerField(default=0)
    filename = models.CharField(max_length=100, blank=True)
    content = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # "how many exports is this person building": the concurrency cap
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.kind}, {self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ExportLog(models.Model):
    """Who exported what, with which filters, when (DESIGN rule 8; UX 36). Written in the request
    that delivers a file, or by the task that builds one; a download of a built file is a row too.
    The filters are codes and dates only: no personal data ever reaches an export's filters."""

    class Action(models.TextChoices):
        EXPORTED = "exported", "Exported"
        DOWNLOADED = "downloaded", "Downloaded a file built earlier"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    action = models.CharField(max_length=16, choices=Action.choices, default=Action.EXPORTED)
    filters = models.JSONField(default=dict)
    row_count = models.PositiveIntegerField(default=0)
    job = models.ForeignKey(ExportJob, on_delete=models.SET_NULL, null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.action} by {self.user_id}"


# Roll-ups (dashboards.rollups) ------------------------------------------------------------------


# The columns a report reads from a cell besides its measure and day (dashboards.rollups).
READ = ["n", "helpline_id", "channel", "status", "priority", "risk_level", "discard_reason_id"]


class RollupCell(models.Model):
    """A snapshot report's figures for one local day (Europe/London), folded by everything a
    report groups or filters by: `n` cases (measure "case"), of which `n` have a time of `value`
    whole seconds ("first_contact", "closure", "referral_acceptance": a histogram, so medians
    stay exact; "<time>~600" counts them again by ten-minute bucket `value`, for finding where a
    percentile is: dashboards.histograms), `n` referrals ("referral:<status>") or services of type
    `value` ("service").
    Ids are plain numbers, not keys: a roll-up must not hold back a deletion."""

    day = models.DateField()
    helpline_id = models.BigIntegerField()
    channel = models.CharField(max_length=8)
    status = models.CharField(max_length=16)
    priority = models.CharField(max_length=8)
    risk_level = models.CharField(max_length=8, blank=True)
    discard_reason_id = models.BigIntegerField(null=True)
    measure = models.CharField(max_length=32)
    value = models.BigIntegerField(null=True)
    n = models.PositiveIntegerField()

    class Meta:
        # (measure, day): a report's case counts and coarse buckets; (measure, value, day): the
        # whole seconds of the few buckets its percentiles fall in (dashboards.histograms).
        # Both hold every column a report reads, so PostgreSQL answers from the index alone.
        indexes = [
            models.Index(fields=["day", "measure"]),
            models.Index(
                fields=["measure", "day"], name="rollup_measure_day", include=["value", *READ]
            ),
            models.Index(
                fields=["measure", "value", "day"], name="rollup_measure_value_day", include=READ
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.measure} {self.n}"


class DirtyDay(models.Model):
    """A UTC date some of whose cases (or their referrals or services) changed since the roll-up
    was built: a row per changed row, written by database triggers (migration 0002) in the
    writer's own transaction, so no write, however it is made, goes unnoticed. Never one row per
    day: a shared row would either lock every writer of the day against each other, or let the
    job miss a write still in flight when it cleared the day (dashboards.rollups.refresh)."""

    day = models.DateField()

    def __str__(self) -> str:
        return str(self.day)


class RollupCoverage(models.Model):
    """The local days the roll-up was built for, first to last (one row). Days outside, and the
    dirty ones, are counted from the cases themselves."""

    first_day = models.DateField()
    last_day = models.DateField()

    def __str__(self) -> str:
        return f"{self.first_day} to {self.last_day}"
