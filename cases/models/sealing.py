"""Sealed cases (SECURITY AC-06): a case only named people read. Anyone else whose role would
normally reach it may break the glass with a reason; that access lasts a while, is audited and
goes to a review queue for the data-protection officer and supervisors (cases.sealing)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cases.models.core import Case
from project.crypto import EncryptedTextField


class CaseSeal(models.Model):
    """One person named on a sealed case: they read it as if it were not sealed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="seals")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_seals"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="one_seal_per_case_user")
        ]

    def __str__(self) -> str:
        return f"Named on sealed case {self.case_id}"


class BreakGlass(models.Model):
    """Someone not named read a sealed case, giving a reason. It lets them in until `expires_at`
    and waits in the review queue until a DPO or supervisor has looked at it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        JUSTIFIED = "justified", "Justified"
        NOT_JUSTIFIED = "not_justified", "Not justified"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="break_glasses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glasses"
    )
    reason = EncryptedTextField()
    at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = EncryptedTextField(blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "case", "expires_at"])]

    def __str__(self) -> str:
        return f"Break-glass on case {self.case_id} by {self.user_id}"
