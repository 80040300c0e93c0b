"""What a case carries besides its core: more than one problem (categories), flags, merges of two
cases, and the drafts of long forms."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cases.models.core import Case, Category, Lookup
from project.crypto import EncryptedJSONField, EncryptedTextField


class Flag(Lookup):
    """Something everyone working a case must see at a glance (high risk, child involved,
    interpreter needed, ...): shown as an icon with its text in the queue and on the case."""

    # a Bootstrap Icons name (static/vendor/bootstrap-icons)
    icon = models.CharField(max_length=40, default="flag")
    history = HistoricalRecords()


class CaseFlag(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="flag_links")
    flag = models.ForeignKey(Flag, on_delete=models.PROTECT)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    set_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["flag__position", "flag__label"]
        constraints = [models.UniqueConstraint(fields=["case", "flag"], name="one_flag_per_case")]

    def __str__(self) -> str:
        return f"{self.flag} on case {self.case_id}"


class CaseCategory(models.Model):
    """A further problem on a case (seed 001's "demands"). The primary one is Case.category, which
    reports and figures count; filters find a case by any of them."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="other_categories")
    category = models.ForeignKey(Category, on_delete=models.PROTECT)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "further category"
        constraints = [
            models.UniqueConstraint(fields=["case", "category"], name="one_category_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.category} on case {self.case_id}"


class CaseMerge(models.Model):
    """`case` was merged into `into`: what moved, so a supervisor's unmerge puts back exactly it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="merges_out")
    into = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="merges_in")
    previous_status = models.CharField(max_length=16, choices=Case.Status.choices)
    reason = EncryptedTextField()
    report_ids = models.JSONField(default=list)  # ids only: nothing personal
    case_person_ids = models.JSONField(default=list)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unmerged_at = models.DateTimeField(null=True, blank=True)
    unmerge_reason = EncryptedTextField(blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"Merge of case {self.case_id} into {self.into_id}"


class Draft(models.Model):
    """A long form's unsaved input, kept on the server as it is typed (never in the browser)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    form = models.CharField(max_length=40)  # "verify", "change", "risk", "new-case"
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True)
    data = EncryptedJSONField(default=dict)
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "form", "case"],
                name="one_draft_per_form",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"Draft of {self.form} by {self.user_id}"


class PersonAlert(models.Model):
    """Supervisors were told something about a person on a case (e.g. a perpetrator named on other
    open cases): kept so each is told once per case and person, whatever restarts or caches do."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("cases.Person", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)  # the outbox kind, e.g. "case.perpetrator_known"
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person", "kind"], name="one_alert_per_case_person_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} about person {self.person_id} on case {self.case_id}"
