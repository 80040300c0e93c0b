"""Deadlines by a case's priority, as data admins edit (DESIGN rule 10): how long a new report may
wait unclaimed (the triage SLA, read by triage.services) and how long an organisation has to accept
or decline a referral (read by referrals.services). Here in `cases`, which owns the priority, as
both triage and referrals read them and neither may import the other.

One row per priority, seeded from the environment on migrate (QUEUE_SLA_MINUTES,
REFERRAL_ACCEPT_HOURS); a priority without a row (a database flushed in a test) falls back to the
environment's value, and that to the shipped default."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from cases.models import Case

DEFAULT_SLA_MINUTES = {"high": 5, "medium": 15, "standard": 60}
DEFAULT_ACCEPT_HOURS = {"high": 4, "medium": 24, "standard": 72}


class PriorityTarget(models.Model):
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


def env_sla_minutes() -> dict[str, int]:
    return {**DEFAULT_SLA_MINUTES, **(getattr(settings, "QUEUE_SLA_MINUTES", None) or {})}


def env_accept_hours() -> dict[str, int]:
    return {**DEFAULT_ACCEPT_HOURS, **(getattr(settings, "REFERRAL_ACCEPT_HOURS", None) or {})}


def sla_minutes() -> dict[str, int]:
    """Minutes an unclaimed case of each priority may wait."""
    return _by_priority("sla_minutes", env_sla_minutes())


def accept_hours() -> dict[str, int]:
    """Hours an organisation has to answer a referral, by the case's priority."""
    return _by_priority("accept_hours", env_accept_hours())


def _by_priority(field: str, fallback: dict[str, int]) -> dict[str, int]:
    rows = dict(PriorityTarget.objects.values_list("priority", field))
    return {
        priority: rows.get(priority) or fallback.get(priority) or fallback["standard"]
        for priority in Case.Priority.values
    }
