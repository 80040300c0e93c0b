"""The retention sweep (SECURITY DP-08): removes or anonymises what privacy.retention finds past
its period, category by category, each in one transaction with its DeletionRecord (a count, never
content). What is done is not found again, so a second run changes nothing and records nothing.

A dry run is the same sweep rolled back at the end: the counts are exactly what a real run would
do now. Stored files are deleted only after a commit, so a dry run leaves them too."""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from cases.audit_chain import prune
from cases.models import Case, Person, PersonContact, Report
from intake.adapters.twilio import RecordingUnavailableError
from privacy import retention
from privacy.models import Category, DeletionRecord, SubjectAccessRequest
from privacy.retention_anonymise import anonymise_case, discard_recordings
from privacy.scrub import blank_rows, delete_rows

log = logging.getLogger(__name__)

Step = Callable[[int, datetime, bool], Counter]


def _anonymise(case: Case, reason: str, dry_run: bool) -> dict[str, int]:
    """anonymise_case, or nothing when a recording's provider copy cannot be deleted now: the
    whole case waits for the next sweep rather than lose the way to that copy."""
    try:
        return anonymise_case(case, reason=reason, dry_run=dry_run)
    except RecordingUnavailableError:
        log.warning("retention_case_deferred", extra={"case_id": case.pk})
        return {}


def _case_content(days: int, now: datetime, dry_run: bool) -> Counter:
    counts: Counter[str] = Counter()
    for case in retention.cases_content_due(days, now).order_by("closed_at", "pk"):
        counts.update(_anonymise(case, "Anonymised: its retention period passed", dry_run))
    return counts


def _discarded_reports(days: int, now: datetime, dry_run: bool) -> Counter:
    counts: Counter[str] = Counter()
    for case, _at in retention.discarded_due(days, now):
        done = dict(_anonymise(case, "Anonymised: discarded past its retention period", dry_run))
        # a discarded case's content is counted as what it is: a discarded report
        done[Category.DISCARDED_REPORTS] = done.pop(Category.CASE_CONTENT, 0)
        counts.update(done)
    return counts


def _contact_details(days: int, now: datetime, _dry_run: bool) -> Counter:
    people = list(retention.contact_people_due(days, now).values_list("pk", flat=True))
    removed = delete_rows(PersonContact.objects.filter(person__in=people))
    blanked = blank_rows(
        Person.objects.filter(pk__in=people),
        {"phone": "", "phone_index": "", "address": "", "contact_preferences": {}},
    )
    senders = blank_rows(retention.senders_due(days, now), {"sender": "", "sender_index": ""})
    return Counter({Category.CONTACT_DETAILS: removed + blanked + senders})


def _recordings(days: int, now: datetime, dry_run: bool) -> Counter:
    done = 0
    for report in retention.recordings_due(days, now):
        try:
            with transaction.atomic():
                done += discard_recordings(Report.objects.filter(pk=report.pk), dry_run=dry_run)
        except RecordingUnavailableError:
            log.warning("retention_recording_deferred", extra={"report_id": report.pk})
    return Counter({Category.RECORDINGS: done})


def _messages(days: int, now: datetime, _dry_run: bool) -> Counter:
    outbox = blank_rows(
        retention.notifications_due(days, now),
        {"text": "", "destination": "", "override_reason": ""},
    )
    portal = blank_rows(retention.portal_messages_due(days, now), {"body": ""})
    updates = blank_rows(retention.portal_updates_due(days, now), {"body": ""})
    unrouted = delete_rows(retention.unrouted_due(days, now))
    return Counter({Category.MESSAGES: outbox + portal + updates + unrouted})


def _access_logs(days: int, now: datetime, _dry_run: bool) -> Counter:
    # Old reads leave the hash-chained log only through its prune, which keeps a checkpoint so
    # verify_audit still checks the rest (in a dry run, inside the transaction rolled back).
    return Counter({Category.ACCESS_LOGS: prune(retention.access_logs_before(days, now))})


def _feed_records(days: int, now: datetime, _dry_run: bool) -> Counter:
    return Counter({Category.FEED_RECORDS: delete_rows(retention.feed_records_due(days, now))})


def _exports(days: int, now: datetime, _dry_run: bool) -> Counter:
    requests = retention.subject_exports_due(days, now)
    files = list(requests.values_list("export_file", flat=True))
    done = blank_rows(requests, {"export_file": "", "status": SubjectAccessRequest.Status.EXPIRED})
    transaction.on_commit(lambda: [storages["protected"].delete(name) for name in files])
    done += blank_rows(retention.export_jobs_due(days, now), {"content": None})
    return Counter({Category.EXPORTS: done})


STEPS: dict[str, Step] = {
    Category.CASE_CONTENT: _case_content,
    Category.DISCARDED_REPORTS: _discarded_reports,
    Category.CONTACT_DETAILS: _contact_details,
    Category.RECORDINGS: _recordings,
    Category.MESSAGES: _messages,
    Category.ACCESS_LOGS: _access_logs,
    Category.FEED_RECORDS: _feed_records,
    Category.EXPORTS: _exports,
}


def sweep(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Remove what is past retention now; returns what was (or, dry, would be) removed per
    category, every category listed."""
    now = now or timezone.now()
    days = retention.periods()
    totals: Counter[str] = Counter()
    outer = transaction.atomic() if dry_run else contextlib.nullcontext()
    with outer:
        for category, step in STEPS.items():
            with transaction.atomic():
                counts = +step(days[category], now, dry_run)
                DeletionRecord.objects.bulk_create(
                    DeletionRecord(
                        cause=DeletionRecord.Cause.RETENTION, category=name, count=count, at=now
                    )
                    for name, count in counts.items()
                )
            totals.update(counts)
        if dry_run:
            transaction.set_rollback(True)
    log.info("retention_swept", extra={"dry_run": dry_run, "removed": sum(totals.values())})
    return {category: totals[category] for category in Category.values}
