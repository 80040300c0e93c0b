"""Subject access's periodic job: exports past SAR_EXPORT_DAYS are removed (privacy.sar)."""

from __future__ import annotations

from celery import shared_task

__all__ = ["expire_subject_access_exports"]


@shared_task(ignore_result=True)
def expire_subject_access_exports() -> int:
    from privacy.sar import expire_subject_access_exports as expire

    return expire()
