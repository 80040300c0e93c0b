from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def archive_closed_cases() -> int:
    """Daily (project.schedules): closed cases past ARCHIVE_AFTER_DAYS become read-only."""
    from cases.services import archive_closed_cases as archive

    return archive()
