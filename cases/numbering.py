"""Case numbers: `PREFIX-YEAR-NNNNNN`, unique and never reused, even under concurrent intake."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from cases.models import CaseNumber


def allocate_case_number(at: datetime) -> str:
    """Must run inside the transaction that stores the case, so a number and its case commit together.

    The serial is an auto-increment key: the database hands out each value once, without the
    single locked counter row that would make every intake wait for the one before it."""
    serial = CaseNumber.objects.create(allocated_at=at).pk
    year = timezone.localtime(at).year
    return f"{settings.CASE_NUMBER_PREFIX}-{year}-{serial:06d}"
