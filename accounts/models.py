from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django_otp.models import Device, ThrottlingMixin
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


class StaffManager(UserManager):
    """Django's, except that `get` brings the user's organisation in the same query: ModelBackend
    loads request.user with `_default_manager.get(pk=...)`, and nearly every staff page reads the
    organisation next (one query less per request, without touching the backend's dotted path,
    which sessions store). Only `get`: a select_related on every query would put the nullable
    organisation in an outer join that SELECT ... FOR UPDATE refuses on PostgreSQL."""

    def get(self, *args: object, **kwargs: object) -> User:
        return self.get_queryset().select_related("organisation").get(*args, **kwargs)


class User(AbstractUser):
    """A member of staff. Belongs to one organisation and has one role; the role's permissions come
    from the group of the same name (accounts.roles), kept in step by accounts.services."""

    class Role(models.TextChoices):
        OPERATOR = "operator", "Helpline operator"
        SUPERVISOR = "supervisor", "Supervisor"
        CSO_REP = "cso_rep", "CSO representative"
        MONITOR = "monitor", "Monitor"
        ADMIN = "admin", "Administrator"
        # a helpline's data-protection officer: erasure, subject access, access review (privacy)
        DPO = "dpo", "Data protection officer"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    phone = PhoneNumberField(blank=True)
    # staff switch it in the header; new-case alerts (and SMS or email alerts they asked for
    # "only on duty") reach only those on duty
    on_duty = models.BooleanField(default=False)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = StaffManager()

    def has_perm(self, perm: str, obj: object = None) -> bool:
        """As Django decides, except that a permission reaching cases (accounts.roles) is never
        granted by being a superuser: only by a role held like anyone else's."""
        from accounts.roles import CASE_PERMISSIONS

        if self.is_superuser and perm in CASE_PERMISSIONS:
            return self.is_active and perm in self._granted_permissions()
        return super().has_perm(perm, obj)

    def _granted_permissions(self) -> set[str]:
        """A superuser's permissions from groups and their own, as ModelBackend reads them for
        anyone else; cached on the instance, so a request asks the database once."""
        if not hasattr(self, "_granted_perm_cache"):
            from django.contrib.auth.models import Permission

            rows = (
                Permission.objects.filter(models.Q(group__user=self) | models.Q(user=self))
                .values_list("content_type__app_label", "codename")
                .distinct()
            )
            self._granted_perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return self._granted_perm_cache


class ApiToken(models.Model):
    """An API credential. Only a SHA-256 digest is stored, so a database leak yields no usable token."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API token {self.pk} of {self.user}"

    @property
    def expires_at(self) -> datetime:
        """API_TOKEN_DAYS after it was issued (read at each use, so shortening it applies at once)."""
        return self.created_at + timedelta(days=settings.API_TOKEN_DAYS)


class BackupCodeDevice(ThrottlingMixin, Device):
    """A member of staff's set of single-use backup codes, for a lost phone: a second-factor
    device django-otp and the login understand. Unlike django-otp's static tokens the codes are
    stored hashed (accounts.backup_codes), so a database copy yields none of them."""

    def get_throttle_factor(self) -> int:
        return settings.OTP_TOTP_THROTTLE_FACTOR

    def verify_token(self, token: str) -> bool:
        from accounts.backup_codes import use_code

        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        if use_code(self, token):
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False


class BackupCode(models.Model):
    """One code: its first group finds the row (not secret), the rest is kept as a password hash."""

    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    lookup = models.CharField(max_length=8)
    digest = models.CharField(max_length=128)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "lookup"], name="backup_code_lookup_unique")
        ]

    def __str__(self) -> str:
        return f"Backup code {self.pk}"
