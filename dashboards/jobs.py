"""Every write about exports: the audit rows, the per-person cap on exports being built, and case
lists built in the background (a Celery task calls build_case_list; the owner is told when the
file is ready and only they may download it)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.policy import AnyUser, can_export_case_list
from dashboards import exports
from dashboards.models import ExportJob, ExportKind, ExportLog
from dashboards.reports import filtered_cases
from dashboards.tasks import build_export
from notifications.services import notify_staff
from project.db_router import replica_reads

logger = logging.getLogger(__name__)

J = ExportJob.Status
# A job not finished after this long died with its worker: it no longer counts against the cap.
STALE_AFTER = timedelta(hours=1)
PROGRESS_EVERY = 500  # rows between progress updates


class TooManyExportsError(Exception):
    """The person already has EXPORT_MAX_RUNNING exports being built (the view answers 429)."""


def log_export(
    *,
    user: AnyUser,
    kind: str,
    filters: Mapping[str, str],
    row_count: int,
    job: ExportJob | None = None,
    action: str = ExportLog.Action.EXPORTED,
) -> ExportLog:
    return ExportLog.objects.create(
        user=user, kind=kind, filters=dict(filters), row_count=row_count, job=job, action=action
    )


def exports_running(user: AnyUser) -> int:
    cutoff = timezone.now() - STALE_AFTER
    return ExportJob.objects.filter(
        owner_id=user.pk, status__in=(J.QUEUED, J.RUNNING), created_at__gte=cutoff
    ).count()


def check_capacity(user: AnyUser) -> None:
    """Refuse one more export while the person's cap of exports are being built."""
    if exports_running(user) >= settings.EXPORT_MAX_RUNNING:
        raise TooManyExportsError


@transaction.atomic
def queue_case_list(*, user: AnyUser, kind: str, filters: Mapping[str, str]) -> ExportJob:
    """A job to build this case list in the background, if the person is under the cap. Their
    user row is locked meanwhile, so two requests at once cannot both take the last place."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    check_capacity(user)
    job = ExportJob.objects.create(owner=user, kind=kind, filters=dict(filters))
    transaction.on_commit(lambda: build_export.delay(job.pk))
    return job


def build_case_list(job_id: int) -> None:
    """Build a queued job's file. A task delivered twice finds the job taken and does nothing."""
    if not ExportJob.objects.filter(pk=job_id, status=J.QUEUED).update(status=J.RUNNING):
        return
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    try:
        # Asked again now: a supervisor who lost the role since does not get the file.
        if not can_export_case_list(job.owner):
            raise PermissionError("no longer allowed to export case lists")
        # the rows may lag the primary by seconds; the job's own row, just written, may not
        with replica_reads():
            cases = filtered_cases(job.owner, job.filters)
            total = cases.count()
            content = encode(job.kind, _with_progress(exports.case_rows(cases), job_id, total))
    except Exception:
        logger.exception("export_failed", extra={"job": job_id})
        ExportJob.objects.filter(pk=job_id).update(status=J.FAILED, finished_at=timezone.now())
        return
    _finish(job, content, total)


def encode(kind: str, rows: Iterable[Any]) -> bytes:
    if kind == ExportKind.CASES_XLSX:
        return exports.xlsx_bytes([("Cases", exports.CASES_HEADER, rows)])
    return exports.csv_bytes(exports.CASES_HEADER, rows)


def _with_progress(rows: Iterable[Any], job_id: int, total: int) -> Iterator[Any]:
    for written, row in enumerate(rows, start=1):
        yield row
        if written % PROGRESS_EVERY == 0 and total:
            # 99 at most: 100 means the file is there to download
            percent = min(99, written * 100 // total)
            ExportJob.objects.filter(pk=job_id).update(progress=percent)


@transaction.atomic
def _finish(job: ExportJob, content: bytes, total: int) -> None:
    now = timezone.now()
    extension = "xlsx" if job.kind == ExportKind.CASES_XLSX else "csv"
    job.status, job.progress, job.row_count, job.content = J.DONE, 100, total, content
    job.filename = exports.filename("cases", extension)
    job.finished_at = now
    job.expires_at = now + timedelta(hours=settings.EXPORT_KEEP_HOURS)
    job.save()
    log_export(user=job.owner, kind=job.kind, filters=job.filters, row_count=total, job=job)
    # Neutral words and no link: an alert can be read over a shoulder or on a lock screen.
    notify_staff(
        users=[job.owner], kind="export.ready", case_number="", text="Your export is ready"
    )


def delete_expired() -> int:
    """Finished files past their time, and jobs that died with their worker."""
    now = timezone.now()
    expired = ExportJob.objects.filter(expires_at__lt=now)
    stale = ExportJob.objects.filter(
        status__in=(J.QUEUED, J.RUNNING), created_at__lt=now - STALE_AFTER
    )
    failed = ExportJob.objects.filter(status=J.FAILED, finished_at__lt=now - STALE_AFTER)
    return sum((rows.delete()[0] for rows in (expired, stale, failed)), 0)
