"""Every write of an import: starting one (the upload page, the API, import_feed and the scheduled
pulls all call start_import) and rolling one back. The run itself is feeds.engine.run_batch, on
the `feeds` Celery queue."""

from __future__ import annotations

import os
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from feeds import files
from feeds.models import FeedSource, ImportBatch
from feeds.selectors import already_imported, later_writing_batch

S = ImportBatch.Status


class ImportRefused(Exception):  # noqa: N818 - the name the other feeds modules use
    """The import cannot start or the batch cannot be rolled back; the message says why in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def start_import(
    *,
    source: FeedSource,
    upload: BinaryIO,
    file_name: str,
    actor: AbstractBaseUser | None,
    dry_run: bool = False,
    origin: str,
    queue: bool = True,
) -> ImportBatch:
    """Keep the file and queue its import (after commit, on the feeds queue). `queue=False`: the
    caller runs feeds.engine.run_batch itself (import_feed, in-process)."""
    if not source.is_active:
        raise ImportRefused("This feed source is switched off; switch it on to import into it.")
    limit = settings.FEED_MAX_FILE_MB
    try:
        stored = files.store(upload, max_bytes=limit * 1024 * 1024)
    except files.FileTooLargeError:
        raise ImportRefused(f"The file is larger than {limit} MB, the most accepted.") from None
    if stored.size == 0:
        files.discard(stored.name)
        raise ImportRefused("The file is empty.")
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                source=source,
                dry_run=dry_run,
                origin=origin,
                started_by=actor,
                file_name=os.path.basename(file_name or "")[:255],
                stored_file=stored.name,
                checksum=stored.checksum,
                size=stored.size,
                profile_version=source.profile_version,
            )
            if queue:
                from feeds import tasks

                transaction.on_commit(lambda: tasks.run_import.delay(batch.pk))
    except BaseException:
        files.discard(stored.name)
        raise
    return batch


def rollback_batch(*, batch: ImportBatch, actor: AbstractBaseUser, reason: str) -> ImportBatch:
    """Undo a batch: the records it created are removed, the ones it changed go back to what they
    held before. Cases it opened stay (cases are never deleted): their numbers are on the returned
    batch as `cases_kept`. Only a finished batch that wrote records, and only the newest of its
    source that did, can be rolled back."""
    reason = (reason or "").strip()
    if not reason:
        raise ImportRefused("Say why the import is rolled back.")
    with transaction.atomic():
        # the same lock every chunk of an import takes: nothing writes this source meanwhile
        source = FeedSource.objects.select_for_update().get(pk=batch.source_id)
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        _check_rollback(batch)
        from feeds.engine import Unusable, parsed_profile
        from feeds.targets import target_for

        try:
            target = target_for(source, parsed_profile(source))
        except Unusable as exc:
            raise ImportRefused(f"{exc} Fix the profile first.") from None
        cases_kept = target.rollback(batch)
        batch.status = S.ROLLED_BACK
        batch.rolled_back_at = timezone.now()
        batch.rolled_back_by = actor
        batch.rollback_reason = reason[:300]
        batch.save(update_fields=["status", "rolled_back_at", "rolled_back_by", "rollback_reason"])
        stored = batch.stored_file
        transaction.on_commit(lambda: files.discard(stored))
    batch.cases_kept = cases_kept or []  # type: ignore[attr-defined]
    return batch


def _check_rollback(batch: ImportBatch) -> None:
    if batch.dry_run:
        raise ImportRefused("A dry run wrote nothing, so there is nothing to roll back.")
    if batch.status == S.ROLLED_BACK:
        raise ImportRefused("This import was rolled back already.")
    if batch.status not in (S.DONE, S.FAILED):
        raise ImportRefused("Only a finished import can be rolled back; wait for it to end.")
    later = later_writing_batch(batch)
    if later is not None:
        raise ImportRefused(
            f"Import {later.pk} of the same source came after this one and may have changed the "
            "same records: roll that one back first (only a source's newest import can be)."
        )


__all__ = ["ImportRefused", "already_imported", "rollback_batch", "start_import"]
