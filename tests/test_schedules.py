"""Periodic jobs (project/schedules.py): seeded by migrate, left alone once an admin edits them, and
what beat's DatabaseScheduler actually runs; the admin role's page for them, and deadlines by
priority (cases.targets) edited in the admin and read by triage and referrals; all of it, with the
lookups and the update message types, system-wide (accounts.admin_access)."""

from __future__ import annotations

import importlib
import io
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from accounts.models import Organisation, User
from cases.models import (
    Area,
    Case,
    Category,
    DiscardReason,
    FollowUpKind,
    Relationship,
    ServiceType,
)
from cases.targets import PriorityTarget, accept_hours
from portal.models import UpdateType
from project.celery import app
from project.schedules import DEFAULT_SCHEDULE, ensure_periodic_tasks
from referrals.services import ReferralRequest, refer_case
from tests.factories import CaseFactory, StaffFactory
from triage.services import overdue_unclaimed, sla_minutes

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


# The admin: periodic jobs and deadlines by priority (issue 11, item 12) --------------------------


@pytest.fixture
def demo_admin(db: None) -> User:
    call_command("seed_demo", stdout=io.StringIO())
    return User.objects.get(username="admin")


def test_the_demo_admin_switches_and_retimes_periodic_jobs(demo_admin, otp_client) -> None:
    client = otp_client(demo_admin)
    job = PeriodicTask.objects.get(name=OUTBOX_SWEEP)
    url = f"/admin/django_celery_beat/periodictask/{job.pk}/change/"
    minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)

    assert OUTBOX_SWEEP in client.get("/admin/django_celery_beat/periodictask/").content.decode()
    assert client.get(url).status_code == 200
    answer = client.post(
        url,
        {
            "description": "Every minute while the provider is slow",
            "interval": minute.pk,
            "crontab": "",
            # what the job runs is read-only to the role: these are ignored
            "name": "Renamed",
            "task": "cases.tasks.archive_closed_cases",
            "regtask": "cases.tasks.archive_closed_cases",
            "args": "[1]",
        },
    )

    assert answer.status_code == 302, answer.content.decode()[:2000]
    job.refresh_from_db()
    assert (job.enabled, job.interval, job.crontab) == (False, minute, None)
    assert job.description == "Every minute while the provider is slow"
    assert (job.name, job.task, job.args) == (
        OUTBOX_SWEEP,
        "notifications.tasks.sweep_outbox",
        "[]",
    )
    # new timings may be made; jobs are neither added nor deleted (migrate would bring them back)
    assert client.get("/admin/django_celery_beat/intervalschedule/add/").status_code == 200
    assert client.get("/admin/django_celery_beat/crontabschedule/").status_code == 200
    assert client.get("/admin/django_celery_beat/periodictask/add/").status_code == 403
    assert client.get(url.replace("change", "delete")).status_code == 403


def test_a_job_needs_one_timing(demo_admin, otp_client) -> None:
    job = PeriodicTask.objects.get(name=OUTBOX_SWEEP)
    answer = otp_client(demo_admin).post(
        f"/admin/django_celery_beat/periodictask/{job.pk}/change/",
        {"enabled": "on", "interval": "", "crontab": ""},
    )
    assert answer.status_code == 200
    assert "Choose either an interval or a crontab" in answer.content.decode()


def test_the_demo_admin_changes_deadlines_and_new_referrals_follow(demo_admin, otp_client) -> None:
    client = otp_client(demo_admin)
    high = PriorityTarget.objects.get(priority="high")
    url = f"/admin/cases/prioritytarget/{high.pk}/change/"

    listing = client.get("/admin/cases/prioritytarget/")
    assert listing.status_code == 200
    assert client.get(url).status_code == 200
    answer = client.post(url, {"sla_minutes": "7", "accept_hours": "2"})

    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert high.history.latest().history_user == demo_admin  # who changed it, kept
    helpline = Organisation.objects.get(slug="demo-helpline")
    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, priority="high")
    referral = refer_case(
        case=case,
        actor=User.objects.get(username="operator"),
        request=ReferralRequest(
            organisation=Organisation.objects.get(slug="safe-haven"), consent=True
        ),
    )
    assert referral.deadline - referral.created_at == timedelta(hours=2)
    # the triage target too: a high-priority report unclaimed for 8 minutes is now overdue
    waiting = CaseFactory(
        helpline=helpline, priority="high", created_at=timezone.now() - timedelta(minutes=8)
    )
    assert sla_minutes()["high"] == 7
    assert Case.objects.filter(overdue_unclaimed(timezone.now()), pk=waiting.pk).exists()
    # one row per priority: none added or deleted here
    assert client.get("/admin/cases/prioritytarget/add/").status_code == 403
    assert client.get(url.replace("change", "delete")).status_code == 403


@pytest.mark.django_db
def test_migrate_seeds_a_deadline_row_per_priority_from_the_environment(settings) -> None:
    seeded = {t.priority: (t.sla_minutes, t.accept_hours) for t in PriorityTarget.objects.all()}
    assert seeded == {"high": (5, 4), "medium": (15, 24), "standard": (60, 72)}

    PriorityTarget.objects.all().delete()
    settings.QUEUE_SLA_MINUTES = {"high": 3}
    settings.REFERRAL_ACCEPT_HOURS = {"standard": 48}
    migration = importlib.import_module("cases.migrations.0014_priority_targets")
    migration.seed(django_apps, None)

    assert PriorityTarget.objects.get(priority="high").sla_minutes == 3
    assert PriorityTarget.objects.get(priority="standard").accept_hours == 48


@pytest.mark.django_db
def test_without_a_row_the_environments_deadline_holds(settings) -> None:
    PriorityTarget.objects.filter(priority="medium").delete()
    settings.REFERRAL_ACCEPT_HOURS = {"medium": 30}
    settings.QUEUE_SLA_MINUTES = {}

    assert accept_hours()["medium"] == 30
    assert sla_minutes()["medium"] == 15  # the shipped default
    assert accept_hours()["high"] == 4  # the row's


def system_wide_pages() -> list[str]:
    """Pages of what holds for every organisation: periodic jobs and their timings, deadlines by
    priority, the lookups and the words sent to victims (accounts.admin_access)."""
    job = PeriodicTask.objects.get(name=OUTBOX_SWEEP)
    target = PriorityTarget.objects.get(priority="high")
    pages = [
        "/admin/django_celery_beat/periodictask/",
        f"/admin/django_celery_beat/periodictask/{job.pk}/change/",
        f"/admin/django_celery_beat/periodictask/{job.pk}/history/",
        "/admin/django_celery_beat/intervalschedule/",
        "/admin/django_celery_beat/intervalschedule/add/",
        f"/admin/django_celery_beat/intervalschedule/{job.interval_id}/change/",
        "/admin/django_celery_beat/crontabschedule/",
        "/admin/cases/prioritytarget/",
        f"/admin/cases/prioritytarget/{target.pk}/change/",
        f"/admin/cases/prioritytarget/{target.pk}/history/",
    ]
    for model in (Category, Area, FollowUpKind, ServiceType, DiscardReason, Relationship,
                  UpdateType):  # fmt: skip
        row = model.objects.first()
        assert row is not None, model  # seeded by migrate: the change page is walked too
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pages += [base, f"{base}add/", f"{base}{row.pk}/change/", f"{base}{row.pk}/history/"]
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["cso", "monitor_org"])
def test_a_cso_or_monitor_administrator_reaches_neither(kind, request, otp_client) -> None:
    """System-wide settings: a CSO must not set the time it has to answer, nor stop the sweeps,
    nor change the lists every case is described with or the words victims are sent."""
    organisation = request.getfixturevalue(kind)
    client = otp_client(StaffFactory(organisation=organisation, role=User.Role.ADMIN))

    for url in system_wide_pages():
        assert client.get(url).status_code == 403, url
    index = client.get("/admin/").content.decode()
    for name in ("Periodic tasks", "Deadlines by priority", "Categories", "Update types"):
        assert name not in index


@pytest.mark.django_db
def test_a_helpline_administrator_reaches_them(helpline, otp_client) -> None:
    client = otp_client(StaffFactory(organisation=helpline, role=User.Role.ADMIN))

    for url in system_wide_pages():
        assert client.get(url).status_code == 200, url
    index = client.get("/admin/").content.decode()
    for name in ("Periodic tasks", "Deadlines by priority", "Categories", "Update types"):
        assert name in index
