from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organisation
from cases.models import Case, ServiceType
from project.crypto import EncryptedTextField


class Referral(models.Model):
    """A case handed to an organisation (and optionally one of its people), with the victim's
    consent. While pending, accepted or completed it lets that organisation see the case."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        COMPLETED = "completed", "Completed"

    # the statuses under which the receiving organisation may see the case (cases.policy)
    GRANTS_ACCESS = (Status.PENDING, Status.ACCEPTED, Status.COMPLETED)

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_referrals",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = EncryptedTextField(blank=True, default="")
    consent = models.BooleanField(default=False)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made"
    )
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at"]
        permissions = [
            ("respond_referral", "Accept or decline referrals to one's organisation"),
            ("log_service", "Log services given on referred cases"),
        ]
        indexes = [
            # the access policy: "cases referred to my organisation"
            models.Index(fields=["organisation", "status"]),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} of case {self.case_id}"


class ServiceRecord(models.Model):
    """A service or follow-up an organisation gave the victim on a case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="services")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT)
    provided_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    notes = EncryptedTextField(blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["provided_at"]

    def __str__(self) -> str:
        return f"Service {self.pk} on case {self.case_id}"
