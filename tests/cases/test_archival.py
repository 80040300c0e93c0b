"""Archival by the scheduled job: beat's row names the task, the task archives closed cases past
ARCHIVE_AFTER_DAYS, and an archived case is read-only to everyone, on every way in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, CaseNote
from project.celery import app
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_registered() -> None:
    app.loader.import_default_modules()  # what a worker does at start: find every tasks.py


def test_the_scheduled_job_archives_old_closed_cases(helpline, operator, settings) -> None:
    settings.ARCHIVE_AFTER_DAYS = 90
    old = CaseFactory(
        helpline=helpline, status=Case.Status.CLOSED, closed_at=timezone.now() - timedelta(days=91)
    )
    recent = CaseFactory(
        helpline=helpline, status=Case.Status.CLOSED, closed_at=timezone.now() - timedelta(days=3)
    )
    job = PeriodicTask.objects.get(name="Archive closed cases")
    assert job.enabled
    assert (job.crontab.minute, job.crontab.hour) == ("30", "2")

    assert app.tasks[job.task].apply().get() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == Case.Status.ARCHIVED
    assert recent.status == Case.Status.CLOSED
    entry = old.history.first()
    assert entry.history_user is None
    assert entry.history_change_reason == "Archived 90 days after closing"

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")
    assert api.get(f"/api/v1/cases/{old.number}/").status_code == 200  # still readable
    for action, payload in (
        ("notes", {"text": "Too late"}),
        ("reopen", {"reason": "She called"}),
        ("referrals", {"organisation": "x", "consent": True}),
        ("services", {"service_type": "counselling"}),
        ("follow-ups", {"kind": "call-back", "due_at": "2026-12-01T09:00:00Z"}),
    ):
        answer = api.post(f"/api/v1/cases/{old.number}/{action}/", payload, format="json")
        assert answer.status_code in (400, 409), action  # invalid input, or read-only
    assert not CaseNote.objects.filter(case=old).exists()
    assert (
        api.post(f"/api/v1/cases/{old.number}/notes/", {"text": "Too late"}, format="json")
        .json()["detail"]
        .endswith("it can be read, not changed.")
    )


def test_the_deadline_and_digest_jobs_are_scheduled() -> None:
    deadline = PeriodicTask.objects.get(name="Flag referrals past their deadline")
    assert deadline.task == "referrals.tasks.flag_overdue_referrals"
    assert deadline.interval.every == 300
    digest = PeriodicTask.objects.get(name="Send the follow-up digest")
    assert (digest.crontab.minute, digest.crontab.hour) == ("0", "7")
    for job in (deadline, digest):
        assert job.task in app.tasks
