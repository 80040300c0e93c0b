from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def archive_closed_cases() -> int:
    """Daily (project.schedules): closed cases past ARCHIVE_AFTER_DAYS become read-only; and,
    while it is about, long forms' drafts nobody has saved for DRAFT_KEEP_DAYS go."""
    from cases.drafts import purge_old_drafts
    from cases.services import archive_closed_cases as archive

    purge_old_drafts()
    return archive()
