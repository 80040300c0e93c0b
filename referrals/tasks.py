from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def flag_overdue_referrals() -> int:
    """Every few minutes (project.schedules): referrals not answered by their deadline."""
    from referrals.services import flag_overdue_referrals as flag

    return flag()


@shared_task(ignore_result=True)
def send_follow_up_digests() -> int:
    """Each morning (project.schedules): one alert per person with follow-ups due or overdue."""
    from referrals.services import send_follow_up_digests as send

    return send()


@shared_task(ignore_result=True)
def remind_due_follow_ups() -> int:
    """Every few minutes (project.schedules): follow-ups that have come due."""
    from referrals.services import remind_due_follow_ups as remind

    return remind()
