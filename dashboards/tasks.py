from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def build_export(job_id: int) -> None:
    """A case list too long to build in the request (dashboards.jobs)."""
    from dashboards.jobs import build_case_list

    build_case_list(job_id)


@shared_task(ignore_result=True)
def delete_expired_exports() -> int:
    """Hourly (project.schedules): built files past EXPORT_KEEP_HOURS, and dead jobs."""
    from dashboards.jobs import delete_expired

    return delete_expired()


@shared_task(ignore_result=True)
def refresh_rollups() -> int:
    """Every few minutes (project.schedules): the reports' roll-up rebuilt for the days whose
    cases changed, and extended to yesterday (dashboards.rollup_builds.refresh)."""
    from dashboards.rollup_builds import refresh

    return refresh()
