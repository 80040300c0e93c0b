"""The unusual-access scan (project.schedules runs it every five minutes; the work is
privacy.unusual)."""

from celery import shared_task

from privacy.unusual import scan


@shared_task
def scan_unusual_access() -> int:
    """Raise an alert for each unusual reading found; returns how many were new."""
    return len(scan())
