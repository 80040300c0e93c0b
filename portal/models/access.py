"""Who may sign in to the portal for which case. One access per case: the case's victim, invited
when the case was verified and their safe-contact answers allowed it (portal.invitations). They
sign in with the case reference and a one-time code sent to a safe way of contact; the code is
kept only as a keyed hash, so a database reader cannot sign in with it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class PortalAccess(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        REVOKED = "revoked", "Revoked"

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="portal_access"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    invited_at = models.DateTimeField(default=timezone.now)
    invited_by = models.ForeignKey(  # none when the verification invited them by itself
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    invitations_sent = models.PositiveSmallIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A code the victim chose that, typed instead of the one-time code, opens a harmless page and
    # silently tells the case's supervisors (django.contrib.auth.hashers, never the code itself).
    duress_hash = models.CharField(max_length=256, blank=True, default="")
    # Wrong codes since the last good one; at PORTAL_LOCK_AFTER the access is locked until then.
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_signed_in_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["failed_attempts", "last_signed_in_at"])

    class Meta:
        verbose_name_plural = "portal accesses"

    def __str__(self) -> str:
        return f"Portal access {self.pk} ({self.status})"


class SignInCode(models.Model):
    """A one-time code sent to the victim to sign in: 128 random bits, single use, short-lived.
    Only its keyed hash is stored (project.crypto.blind_index)."""

    access = models.ForeignKey(PortalAccess, on_delete=models.CASCADE, related_name="codes")
    code_index = models.CharField(max_length=64)
    channel = models.CharField(max_length=8)  # "sms" | "email"
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    notification = models.ForeignKey(  # the outbox row that carried it
        "notifications.Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        indexes = [models.Index(fields=["access", "code_index"])]

    def __str__(self) -> str:
        return f"Sign-in code {self.pk}"
