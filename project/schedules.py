"""The periodic jobs Lantern ships with. Beat reads its schedule from django-celery-beat's tables,
which admins may edit; this module only seeds the rows that are missing (after every migrate).

Adding a job is one line in DEFAULT_SCHEDULE. The key is the job's identity in the admin: renaming
it seeds a second copy, so keep keys stable and let admins rename rows instead.
"""

from __future__ import annotations

from django.conf import settings
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

# Seconds between runs, or crontab fields (minute, hour, day_of_week, day_of_month,
# month_of_year; "*" where left out) read in settings.TIME_ZONE.
Schedule = int | dict[str, str]

DEFAULT_SCHEDULE: dict[str, tuple[str, Schedule]] = {
    # Re-queues outbox rows whose publish was lost (Redis down, a process killed after commit).
    "Sweep the notification outbox": ("notifications.tasks.sweep_outbox", 30),
    # Tells the referrer's supervisors about referrals nobody answered in time (once each).
    "Flag referrals past their deadline": ("referrals.tasks.flag_overdue_referrals", 300),
    # Each morning: one alert per person with follow-ups due today or overdue.
    "Send the follow-up digest": (
        "referrals.tasks.send_follow_up_digests",
        {"minute": "0", "hour": "7"},
    ),
    # Supervisors hear, once per case, of new reports nobody claimed within their target time.
    "Alert supervisors to reports waiting too long": ("triage.tasks.alert_sla_breaches", 60),
    # Each follow-up's assignee hears once when it comes due.
    "Remind follow-ups that are due": ("referrals.tasks.remind_due_follow_ups", 300),
    # Closed cases past ARCHIVE_AFTER_DAYS become read-only, at night when nobody is working them.
    "Archive closed cases": ("cases.tasks.archive_closed_cases", {"minute": "30", "hour": "2"}),
    # Exports built in the background are kept EXPORT_KEEP_HOURS for their owner, then deleted.
    "Delete expired exports": ("dashboards.tasks.delete_expired_exports", 3600),
}


def ensure_periodic_tasks() -> None:
    """Create the PeriodicTask of every DEFAULT_SCHEDULE entry that has none yet.

    An existing row is never touched, however it differs: an admin may have changed its timing or
    disabled it on purpose. A deleted row comes back, so admins disable jobs rather than delete.
    """
    existing = set(
        PeriodicTask.objects.filter(name__in=DEFAULT_SCHEDULE).values_list("name", flat=True)
    )
    for name, (task, schedule) in DEFAULT_SCHEDULE.items():
        if name not in existing:
            PeriodicTask.objects.create(name=name, task=task, **_schedule_fields(schedule))


def _schedule_fields(schedule: Schedule) -> dict[str, IntervalSchedule | CrontabSchedule]:
    # Schedule rows are shared between tasks and have no unique constraint: reuse the first match
    # instead of piling up duplicates on every fresh database.
    if isinstance(schedule, int):
        fields = {"every": schedule, "period": IntervalSchedule.SECONDS}
        interval = IntervalSchedule.objects.filter(**fields).first()
        return {"interval": interval or IntervalSchedule.objects.create(**fields)}
    fields = {**schedule, "timezone": settings.TIME_ZONE}
    crontab = CrontabSchedule.objects.filter(**fields).first()
    if crontab is None:
        crontab = CrontabSchedule(**fields)
        crontab.full_clean()  # a typo such as hour="25" fails the migrate, not the job at 25:00
        crontab.save()
    return {"crontab": crontab}
