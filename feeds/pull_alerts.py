"""Telling people that a source's scheduled pull failed: the pull itself (feeds.pulls) or, later,
the import of a file it pulled (feeds.engine, in the worker). Apart from both so neither imports
the other."""

from __future__ import annotations

import logging

from django.db import transaction

from accounts.models import Organisation, User
from accounts.selectors import staff_with
from feeds.models import FeedSource, ImportBatch
from notifications.staff_alerts import notify_staff

log = logging.getLogger("feeds.pulls")


def pull_failed(source: FeedSource, reason: str) -> None:
    """Keep why the source's pull failed (in words, never a file's name or rows) and tell its
    supervisors once per run of failures; a pull that works clears it (feeds.pulls)."""
    reason = reason[:300]
    log.warning("Pull of feed source %s failed: %s", source.slug, reason)
    with transaction.atomic():
        # Only the pull that ends a good run (no error recorded yet) tells anyone.
        first = FeedSource.objects.filter(pk=source.pk, last_pull_error="").update(
            last_pull_error=reason
        )
        if not first:
            FeedSource.objects.filter(pk=source.pk).update(last_pull_error=reason)
            return
        notify_staff(
            users=looking_after(source),
            kind="feed.pull_failed",
            case_number="",
            text=f"Pulling new files for the feed source {source.name} failed: {reason}",
        )


def import_failed(batch: ImportBatch) -> None:
    """A pulled file's import failed in the feeds worker (a bad header, the wrong encoding): nobody
    started it to be told, and its bytes are never pulled again, so the source's supervisors are
    told as for any failed pull (feeds.engine calls this)."""
    pull_failed(batch.source, f"The import {batch.pk} of a pulled file failed: {batch.failure}")


def looking_after(source: FeedSource) -> list[User]:
    """The supervisors of the source's helpline; of every helpline for a places source (all of
    them match addresses against it, feeds.policy)."""
    if source.helpline_id:
        return list(staff_with(source.helpline_id, "cases.supervise_case"))
    helplines = Organisation.objects.filter(kind=Organisation.Kind.HELPLINE, is_active=True)
    return [
        user
        for helpline_id in helplines.values_list("pk", flat=True)
        for user in staff_with(helpline_id, "cases.supervise_case")
    ]
