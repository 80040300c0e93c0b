"""The import engine: runs one batch (feeds.tasks.run_import, on the `feeds` queue).

The file is streamed (feeds.readers), each row checked into a canonical record (feeds.profiles),
and the rows written a chunk at a time (settings.FEED_CHUNK_ROWS) through the source's target
(feeds.targets). Each chunk is ONE transaction with the batch's counters and its checkpoint
(`rows_done`): a worker killed mid-import loses at most the chunk it had not committed, and the
task, handed out again (acks_late), skips the rows already done and carries on. Nothing is ever
half-imported or written twice. Each chunk takes the source's row lock, so one batch of a source
writes at a time (and a rollback waits for the chunk in hand).

A dry run does all of the same inside one transaction that is rolled back, then keeps only the
counts. Progress goes to the batch's page after each committed chunk (feeds.progress), and after
each chunk of a dry run."""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from feeds import files, progress
from feeds.models import FeedSource, ImportBatch, RowError
from feeds.profiles import (
    Profile,
    ProfileError,
    RowInvalid,
    canonical,
    content_hash,
    parse_profile,
)
from feeds.pull_alerts import import_failed
from feeds.readers import FileUnreadable, open_rows
from feeds.targets import Counts, Target, row_key, target_for
from notifications import realtime
from notifications.staff_alerts import notify_staff

logger = logging.getLogger(__name__)
S = ImportBatch.Status
DONE_KIND = "feed.import_done"
COUNTERS = ["rows", "rows_done", "new", "updated", "unchanged", "rejected", "cases_opened"]


class Unusable(Exception):  # noqa: N818 - a state of the batch, not a fault of the engine
    """The batch cannot go on: the message, in words, becomes its `failure`."""


class Superseded(Exception):  # noqa: N818
    """Another run of the same batch (a redelivered task) got further: this one stops quietly."""


class DryRunDone(Exception):  # noqa: N818
    """Leaves the dry run's transaction so that everything it wrote is rolled back."""


def parsed_profile(source: FeedSource) -> Profile:
    try:
        return parse_profile(source.profile, kind=source.kind)
    except ProfileError as exc:
        raise Unusable(f"The source's profile is not valid: {' '.join(exc.messages)}") from None


def run_batch(batch_id: int) -> None:
    """Run (or carry on with) a batch. A batch that is done, failed or rolled back is left alone,
    so a task delivered twice does nothing the second time."""
    batch = _claim(batch_id)
    if batch is None:
        return
    try:
        if batch.dry_run:
            _dry_run(batch)
        else:
            _finish(_import(batch))
    except Superseded:
        return
    except Unusable as exc:
        _fail(batch_id, str(exc))
    except Exception as exc:
        # the exception's text may quote a row: the log and the batch get its kind and place only
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        logger.error(
            "Import batch %s stopped on %s at %s:%s",
            batch_id,
            type(exc).__name__,
            frame.filename.rsplit("/", 1)[-1],
            frame.lineno,
        )
        _fail(batch_id, f"The import stopped on an unexpected error ({type(exc).__name__}).")


def _claim(batch_id: int) -> ImportBatch | None:
    with transaction.atomic():
        batch = (
            ImportBatch.objects.select_for_update()
            .select_related("source")
            .filter(pk=batch_id)
            .first()
        )
        if batch is None or batch.status not in (S.QUEUED, S.RUNNING):
            return None
        if batch.status == S.QUEUED:
            batch.status = S.RUNNING
            batch.started_at = timezone.now()
            batch.save(update_fields=["status", "started_at"])
            progress.publish(batch)
    return batch


def _import(batch: ImportBatch) -> ImportBatch:
    """Every chunk from the checkpoint on; returns the batch as its last chunk left it."""
    source = batch.source
    if batch.profile_version != source.profile_version:
        if batch.rows_done:
            raise Unusable(
                "The source's profile changed while this file was being imported; roll back what "
                "was imported and import the file again."
            )
        # changed while the file waited: it is read with the profile of now, and says so
        batch.profile_version = source.profile_version
        ImportBatch.objects.filter(pk=batch.pk).update(profile_version=source.profile_version)
    profile = parsed_profile(source)
    target = target_for(source, profile)
    done = batch.rows_done
    with _rows(batch, profile) as (encoding, rows):
        for chunk in _chunks(rows, profile, skip=done):
            batch = _write_chunk(batch, target, chunk, offset=done, encoding=encoding)
            done = batch.rows_done
    return batch


@contextmanager
def _rows(batch: ImportBatch, profile: Profile) -> Iterator[tuple[str, Iterator]]:
    try:
        path = files.path_of(batch.stored_file)
        with open_rows(path, profile) as rows:
            yield rows.encoding, iter(rows)
    except FileNotFoundError:
        raise Unusable("The stored file is missing; import the file again.") from None
    except FileUnreadable as exc:
        raise Unusable(exc.message) from None


class _Chunk:
    """Rows of one chunk: canonical ones for the target, rejected ones counted, and the running
    count of content hashes (`seen`) the target keys rows without a reference by."""

    def __init__(self, seen: Counter[str]) -> None:
        self.valid: list = []
        self.counts = Counts()
        self.size = 0
        self.seen = seen


def _chunks(rows: Iterator, profile: Profile, *, skip: int) -> Iterator[_Chunk]:
    seen: Counter[str] = Counter()
    chunk = _Chunk(seen)
    for position, (number, row) in enumerate(rows, start=1):
        try:
            record = canonical(profile, row)
        except RowInvalid as exc:
            if position > skip:
                chunk.counts.reject(number, exc.field, exc.message)
                chunk.size += 1
        else:
            if position <= skip:
                # a resumed batch: only count, so rows without a reference get the same keys
                if not record.reference:
                    row_key(record, seen, content_hash(record))
                continue
            chunk.valid.append((number, record))
            chunk.size += 1
        if chunk.size >= settings.FEED_CHUNK_ROWS:
            yield chunk
            chunk = _Chunk(seen)
    if chunk.size:
        yield chunk


def _write_chunk(
    batch: ImportBatch, target: Target, chunk: _Chunk, *, offset: int, encoding: str
) -> ImportBatch:
    with transaction.atomic():
        FeedSource.objects.select_for_update().filter(pk=batch.source_id).first()
        current = ImportBatch.objects.select_for_update().select_related("source").get(pk=batch.pk)
        if current.status != S.RUNNING or current.rows_done != offset:
            raise Superseded
        counts = target.write(current, chunk.valid, seen=chunk.seen)
        counts.rejected += chunk.counts.rejected
        errors = sorted(chunk.counts.errors + counts.errors)
        room = settings.FEED_ERRORS_KEPT - RowError.objects.filter(batch=current).count()
        RowError.objects.bulk_create(
            RowError(batch=current, row=row, field=field[:64], message=message[:300])
            for row, field, message in errors[: max(room, 0)]
        )
        current.rows_done += chunk.size
        current.rows = current.rows_done
        current.new += counts.new
        current.updated += counts.updated
        current.unchanged += counts.unchanged
        current.rejected += counts.rejected
        current.cases_opened += counts.cases_opened
        current.encoding = encoding[:32]
        current.save(update_fields=[*COUNTERS, "encoding"])
        if current.dry_run:
            # nothing of a dry run commits, so its page hears of each chunk now (counts only)
            realtime.broadcast(
                [progress.import_group(current.pk)], progress.progress_event(current)
            )
        else:
            progress.publish(current)
    return current


def _dry_run(batch: ImportBatch) -> None:
    """The import inside one transaction, rolled back; then the counts alone are kept."""
    reached, errors = batch, []
    try:
        with transaction.atomic():
            reached = _import(batch)
            errors = list(RowError.objects.filter(batch=batch).values("row", "field", "message"))
            raise DryRunDone
    except DryRunDone:
        pass
    _finish(reached, errors)


def _finish(reached: ImportBatch, dry_run_errors: list[dict] | None = None) -> None:
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=reached.pk)
        if batch.status != S.RUNNING:
            return
        for name in [*COUNTERS, "encoding"]:
            setattr(batch, name, getattr(reached, name))
        batch.status = S.DONE
        batch.finished_at = timezone.now()
        batch.save(update_fields=[*COUNTERS, "encoding", "status", "finished_at"])
        if dry_run_errors:
            # the dry run's row errors went with its transaction: kept again for its report
            RowError.objects.bulk_create(RowError(batch=batch, **error) for error in dry_run_errors)
        progress.publish(batch)
        _tell_starter(batch)
        if not batch.dry_run:  # a dry run's file waits to be imported for real (files.sweep)
            stored = batch.stored_file
            transaction.on_commit(lambda: files.discard(stored))


def _fail(batch_id: int, message: str) -> None:
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != S.RUNNING and batch.status != S.QUEUED:
            return
        batch.status = S.FAILED
        batch.failure = message[:300]
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "failure", "finished_at"])
        progress.publish(batch)
        _tell_starter(batch)
        stored = batch.stored_file
        transaction.on_commit(lambda: files.discard(stored))


def _tell_starter(batch: ImportBatch) -> None:
    """The person who started an import hears when it ends (they may have left its page): counts
    only, never the file's name or a row (a name someone typed may say who the file is about)."""
    if batch.started_by is None:
        if batch.status == S.FAILED and batch.origin in (
            ImportBatch.Origin.FOLDER,
            ImportBatch.Origin.URL,
        ):
            import_failed(batch)
        return
    what = "dry run" if batch.dry_run else "import"
    if batch.status == S.FAILED:
        text = f"The {what} {batch.pk} into {batch.source.name} failed: {batch.failure}"
    else:
        text = (
            f"The {what} {batch.pk} into {batch.source.name} is done: {batch.new} new, "
            f"{batch.updated} updated, {batch.unchanged} unchanged, {batch.rejected} rejected."
        )
    notify_staff(users=[batch.started_by], kind=DONE_KIND, case_number="", text=text)
