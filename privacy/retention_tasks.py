"""Retention's nightly job (project.schedules runs it; thin: the work is privacy.retention_sweep)."""

from celery import shared_task

from privacy.retention_sweep import sweep


@shared_task
def run_retention_sweep() -> int:
    """Remove what is past its retention period; returns how many rows went."""
    return sum(sweep().values())
