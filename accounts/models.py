from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords


class Organisation(models.Model):
    """A helpline, a civil-society organisation (CSO) receiving referrals, or a monitoring body."""

    class Kind(models.TextChoices):
        HELPLINE = "helpline", "Helpline"
        CSO = "cso", "Civil-society organisation"
        MONITOR = "monitor", "Monitor"

    slug = models.SlugField(unique=True, max_length=64)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    # the helpline's own number (E.164): SMS and calls to it become its cases
    phone_number = models.CharField(max_length=20, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. Belongs to one organisation and has one role; the role's permissions come
    from the group of the same name (accounts.roles), kept in step by accounts.services."""

    class Role(models.TextChoices):
        OPERATOR = "operator", "Helpline operator"
        SUPERVISOR = "supervisor", "Supervisor"
        CSO_REP = "cso_rep", "CSO representative"
        MONITOR = "monitor", "Monitor"
        ADMIN = "admin", "Administrator"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    phone = PhoneNumberField(blank=True)
    # staff switch it in the header; new-case alerts (and SMS or email alerts they asked for
    # "only on duty") reach only those on duty
    on_duty = models.BooleanField(default=False)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])


class ApiToken(models.Model):
    """An API credential. Only a SHA-256 digest is stored, so a database leak yields no usable token."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API token {self.pk} of {self.user}"
