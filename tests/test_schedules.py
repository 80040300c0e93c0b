"""Periodic jobs (project/schedules.py): seeded by migrate, left alone once an admin edits them, and
what beat's DatabaseScheduler actually runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from project.celery import app
from project.schedules import DEFAULT_SCHEDULE, ensure_periodic_tasks

OUTBOX_SWEEP = "Sweep the notification outbox"


@pytest.mark.django_db
def test_migrate_seeds_the_outbox_sweep() -> None:
    job = PeriodicTask.objects.get(name=OUTBOX_SWEEP)
    assert job.task == "notifications.tasks.sweep_outbox"
    assert job.enabled
    assert (job.interval.every, job.interval.period) == (30, IntervalSchedule.SECONDS)
    assert job.crontab is None


@pytest.mark.django_db
def test_an_admins_edit_survives_the_next_migrate() -> None:
    job = PeriodicTask.objects.get(name=OUTBOX_SWEEP)
    job.interval = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.MINUTES)
    job.enabled = False
    job.save()

    ensure_periodic_tasks()

    job.refresh_from_db()
    assert not job.enabled
    assert (job.interval.every, job.interval.period) == (2, IntervalSchedule.MINUTES)
    assert PeriodicTask.objects.filter(task="notifications.tasks.sweep_outbox").count() == 1


@pytest.mark.django_db
def test_crontab_entries_are_seeded_once_in_local_time(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    nightly = {"minute": "15", "hour": "2"}
    monkeypatch.setitem(
        DEFAULT_SCHEDULE, "Nightly job", ("notifications.tasks.sweep_outbox", nightly)
    )
    monkeypatch.setitem(
        DEFAULT_SCHEDULE, "Other job", ("notifications.tasks.sweep_outbox", nightly)
    )
    ensure_periodic_tasks()
    ensure_periodic_tasks()

    crontab = PeriodicTask.objects.get(name="Nightly job").crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("15", "2", "*")
    assert str(crontab.timezone) == settings.TIME_ZONE
    assert PeriodicTask.objects.get(name="Other job").crontab == crontab  # shared, not duplicated
    assert CrontabSchedule.objects.filter(minute="15", hour="2").count() == 1


@pytest.mark.django_db
def test_a_mistyped_crontab_fails_the_migrate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        DEFAULT_SCHEDULE, "Broken job", ("notifications.tasks.sweep_outbox", {"hour": "25"})
    )
    with pytest.raises(ValidationError):
        ensure_periodic_tasks()


def test_beat_has_no_static_schedule_to_write_over_the_admins_rows() -> None:
    # DatabaseScheduler copies beat_schedule into the table at every start, overwriting edits.
    assert not app.conf.beat_schedule
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


# The scheduler commits and closes connections as beat does, so this test cannot sit inside the
# usual rolled-back transaction.
@pytest.mark.django_db(transaction=True)
def test_beat_runs_what_the_table_says() -> None:
    job = PeriodicTask.objects.get(name=OUTBOX_SWEEP)
    job.interval = IntervalSchedule.objects.create(every=45, period=IntervalSchedule.SECONDS)
    job.save()

    scheduler = DatabaseScheduler(app=app)  # not lazy: reads the table as beat does at start
    try:
        schedule = scheduler.schedule
        # django-celery-beat loads crontab jobs only near their hour, so a subset; and no
        # celery.backend_cleanup of its own
        assert OUTBOX_SWEEP in schedule
        assert set(schedule) <= set(DEFAULT_SCHEDULE)
        assert schedule[OUTBOX_SWEEP].task == "notifications.tasks.sweep_outbox"
        assert schedule[OUTBOX_SWEEP].schedule.run_every == timedelta(seconds=45)
    finally:
        # Its finaliser would otherwise run at some later garbage collection, closing the database
        # connection in the middle of whichever test is running then.
        scheduler._finalize()


def test_every_scheduled_task_exists() -> None:
    app.loader.import_default_modules()
    for name, (task, _) in DEFAULT_SCHEDULE.items():
        assert task in app.tasks, name
