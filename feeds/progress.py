"""Live progress of an import: the channel-layer group a batch's page listens on, and the one way
to tell it where the batch has got to (after the chunk that got it there is committed).

The payload is counts and a status, never a row: the batch's page (feeds.consumers) passes it on
to sockets that may read the batch, and fetches the report over HTTP once the batch ends."""

from __future__ import annotations

from typing import Literal, TypedDict

from django.db import transaction

from feeds.models import ImportBatch
from notifications import realtime


class ImportCounts(TypedDict):
    rows: int
    new: int
    updated: int
    unchanged: int
    rejected: int


class ImportProgress(TypedDict):
    type: Literal["import.progress"]
    id: int
    status: str
    rows_done: int
    counts: ImportCounts


def import_group(batch_id: int) -> str:
    return f"feeds.import.{int(batch_id)}"


def counts(batch: ImportBatch) -> ImportCounts:
    return ImportCounts(
        rows=batch.rows,
        new=batch.new,
        updated=batch.updated,
        unchanged=batch.unchanged,
        rejected=batch.rejected,
    )


def progress_event(batch: ImportBatch) -> ImportProgress:
    return ImportProgress(
        type="import.progress",
        id=batch.pk,
        status=batch.status,
        rows_done=batch.rows_done,
        counts=counts(batch),
    )


def publish(batch: ImportBatch) -> None:
    """Tell the batch's page where it is, once the surrounding transaction commits (at once when
    there is none). The event is taken now: the engine goes on changing the same object. Best
    effort like every live event: a push that did not go is logged, and the page polls."""
    event = progress_event(batch)
    group = import_group(batch.pk)
    transaction.on_commit(lambda: realtime.broadcast([group], event), robust=True)
