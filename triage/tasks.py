from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def alert_sla_breaches() -> int:
    """Every minute (project.schedules): new reports waiting past their target, to supervisors."""
    from triage.services import alert_sla_breaches as alert

    return alert()
