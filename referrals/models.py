from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organisation
from cases.models import Case, FollowUpKind, ServiceType
from project.crypto import EncryptedTextField


class Referral(models.Model):
    """A case handed to an organisation (and optionally one of its people), with the victim's
    consent or a supervisor's recorded override. While pending or accepted it lets that
    organisation see the case; once it ends, their access ends with it (cases.policy)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        COMPLETED = "completed", "Completed"

    # the statuses under which the receiving organisation may see the case (cases.policy)
    GRANTS_ACCESS = (Status.PENDING, Status.ACCEPTED)

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
    # Staff chose to show the victim, in the portal, that this organisation is helping them.
    shared_with_victim = models.BooleanField(default=False)
    # without consent, a supervisor's override (their reason is a shared CaseNote)
    consent_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consent_overrides",
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made"
    )
    # the helpline, or a CSO referring onward: its staff may withdraw the referral while pending
    referred_by_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, related_name="referrals_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(null=True, blank=True)  # to accept or decline by
    escalated_at = models.DateTimeField(null=True, blank=True)  # deadline missed, supervisor told
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_answered",
    )
    decline_reason = EncryptedTextField(blank=True, default="")
    ended_at = models.DateTimeField(null=True, blank=True)  # declined, withdrawn or completed
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        permissions = [
            ("respond_referral", "Accept or decline referrals to one's organisation"),
            ("log_service", "Log services given on referred cases"),
        ]
        indexes = [
            # the access policy: "cases referred to my organisation"
            models.Index(fields=["organisation", "status"]),
            # the deadline sweep: pending referrals by deadline
            models.Index(fields=["status", "deadline"]),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} of case {self.case_id}"

    @property
    def is_live(self) -> bool:
        return self.status in self.GRANTS_ACCESS

    @property
    def is_overdue(self) -> bool:
        return (
            self.status == self.Status.PENDING
            and self.deadline is not None
            and self.deadline < timezone.now()
        )


class ServiceRecord(models.Model):
    """A service an organisation gave the victim on a case. Its notes are that organisation's own."""

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
        ordering = ["provided_at", "pk"]

    def __str__(self) -> str:
        return f"Service {self.pk} on case {self.case_id}"


class FollowUp(models.Model):
    """A task a caseworker set on a case ("intention"): call back, court date, safety-plan review.
    Internal to the organisation that set it, like its notes."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="follow_ups")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    kind = models.ForeignKey(FollowUpKind, on_delete=models.PROTECT)
    due_at = models.DateTimeField()
    notes = EncryptedTextField(blank=True, default="")
    # Meant for the victim (an appointment, a call they expect): shown in the portal, kind and
    # time only, never the notes.
    for_victim = models.BooleanField(default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups"
    )
    # None: set by Lantern itself (a victim's message asks for a reply)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups_set",
    )
    created_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)  # its assignee was told it is due
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups_done",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            # "my follow-ups", overdue first; and the daily digest
            models.Index(fields=["assignee", "done_at", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"Follow-up {self.pk} on case {self.case_id}"

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_at < timezone.now()
