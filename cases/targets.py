"""Deadlines by a case's priority, as data admins edit (DESIGN rule 10): how long a new report may
wait unclaimed (the triage SLA, read by triage.services) and how long an organisation has to accept
or decline a referral (read by referrals.services). Here in `cases`, which owns the priority, as
both triage and referrals read them and neither may import the other.

One row per priority, seeded from the environment on migrate (QUEUE_SLA_MINUTES,
REFERRAL_ACCEPT_HOURS); a priority without a row (a database flushed in a test) falls back to the
environment's value, and that to the shipped default."""

from __future__ import annotations

from django.conf import settings

from cases.models import Case, PriorityTarget

DEFAULT_SLA_MINUTES = {"high": 5, "medium": 15, "standard": 60}
DEFAULT_ACCEPT_HOURS = {"high": 4, "medium": 24, "standard": 72}


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
