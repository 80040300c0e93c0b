"""The periodic jobs Lantern ships with. Beat reads its schedule from django-celery-beat's tables,
which admins may edit; this module seeds the rows that are missing (after every migrate) and holds
the admin page for them (ScheduleAdmin, registered by dashboards.admin: project/ is no app).

Adding a job is one line in DEFAULT_SCHEDULE. The key is the job's identity in the admin: renaming
it seeds a second copy, so keep keys stable and let admins rename rows instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django_celery_beat.admin import (
    CrontabScheduleAdmin,
    IntervalScheduleAdmin,
    PeriodicTaskAdmin,
)
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from accounts.admin_access import SystemWideAdmin

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
    # Rebuilds the reports' roll-up for days whose cases changed and extends it to yesterday
    # (dashboards.rollups.refresh); until it runs, changed days are counted from the cases.
    "Refresh the reports' roll-up": ("dashboards.tasks.refresh_rollups", 300),
    # Re-queues partner webhooks that are due again (backoff) or whose publish was lost.
    "Sweep partner webhooks": ("feeds.tasks.sweep_webhooks", 30),
    # A dry run's file waits FEED_DRY_RUN_KEEP_HOURS to be imported for real, then is deleted.
    "Delete checked feed files": ("feeds.tasks.sweep_files", 3600),
    # Each night: removes or anonymises what is past its retention period (privacy.retention),
    # after the archival and outside the hours the clocks change.
    "Sweep data past its retention period": (
        "privacy.retention_tasks.run_retention_sweep",
        {"minute": "45", "hour": "2"},
    ),
    # Alerts DPOs and supervisors to unusual reading of cases (privacy.unusual), once per window.
    "Look for unusual access": ("privacy.audit_tasks.scan_unusual_access", 300),
    # Recordings still at Twilio (a failed download or delete, a Redis outage when queued) are
    # stored in Lantern and deleted there.
    "Store call recordings kept by the provider": ("intake.tasks.store_pending_recordings", 300),
    # Removes subject-access exports past SAR_EXPORT_DAYS (privacy.sar_files).
    "Delete expired subject-access exports": (
        "privacy.sar_tasks.expire_subject_access_exports",
        3600,
    ),
    # Operators whose wrap-up ran out are written down as available and every console told
    # (routing already counts them available: live.presence.effective).
    "End operators' run-out wrap-ups": ("live.tasks.end_wrap_ups", 15),
    # Claims left idle warn their holder, then go back to the queue (live.idle_claims).
    "Return idle claims to the queue": ("live.tasks.return_idle_claims", 60),
    # Web chats nobody wrote in (and whose visitor left no page open) close; operators wrap up.
    "Close idle web chats": ("chat.tasks.close_idle_chats", 60),
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


# The admin pages (system-wide: superusers and helpline administrators, accounts.admin_access) -----


class ScheduleForm(forms.ModelForm):
    """When and whether a job runs: the admin role's part of a periodic task."""

    class Meta:
        model = PeriodicTask
        fields = ["enabled", "description", "interval", "crontab"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("interval")) == bool(data.get("crontab")):
            raise forms.ValidationError("Choose either an interval or a crontab, not both.")
        return data


class ScheduleAdmin(SystemWideAdmin, PeriodicTaskAdmin):
    """django-celery-beat's page, narrowed for the admin role (accounts.roles): they switch jobs on
    and off and change when they run. What a job runs and with which arguments stays a superuser's
    (createsuperuser) to change: naming any task with any arguments would run any code path with
    input of their choosing, and renaming a shipped job would seed a second copy of it."""

    def _narrow(self, request: HttpRequest) -> bool:
        return not request.user.is_superuser  # type: ignore[union-attr]

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> type:
        if self._narrow(request):
            kwargs["form"] = ScheduleForm
            kwargs["fields"] = ScheduleForm.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if not self._narrow(request):
            return super().get_fieldsets(request, obj)
        return [
            (None, {"fields": ["name", "task", "enabled", "description"]}),
            ("Schedule", {"fields": ["interval", "crontab", "last_run_at", "total_run_count"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if not self._narrow(request):
            return super().get_readonly_fields(request, obj)
        return ["name", "task", "last_run_at", "total_run_count"]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if self._narrow(request):
            actions.pop("run_tasks", None)  # a job runs on its schedule, not on demand
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not self._narrow(request) and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # a deleted shipped job comes back at the next migrate: disable it instead
        return not self._narrow(request) and super().has_delete_permission(request, obj)


class IntervalAdmin(SystemWideAdmin, IntervalScheduleAdmin):
    pass


class CrontabAdmin(SystemWideAdmin, CrontabScheduleAdmin):
    pass


def register_admin(site: admin.AdminSite) -> None:
    """In place of django-celery-beat's own pages for jobs and the timings they share."""
    for model, model_admin in (
        (PeriodicTask, ScheduleAdmin),
        (IntervalSchedule, IntervalAdmin),
        (CrontabSchedule, CrontabAdmin),
    ):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
