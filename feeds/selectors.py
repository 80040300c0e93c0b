"""Reads the import engine and its services need. They are the system's own look-ups (no user is
asking), so they take no access policy; what a person may see goes through feeds.policy."""

from __future__ import annotations

from django.db.models import Q

from feeds.models import FeedSource, ImportBatch

S = ImportBatch.Status


def already_imported(source: FeedSource, checksum: str) -> bool:
    """Whether these bytes were imported into this source already (by a finished batch that was
    not a dry run and was not rolled back): a watched folder or a pull imports each file once."""
    return ImportBatch.objects.filter(
        source=source, checksum=checksum, status=S.DONE, dry_run=False
    ).exists()


def later_writing_batch(batch: ImportBatch) -> ImportBatch | None:
    """A batch of the same source, started after this one, that wrote (or is writing) records:
    while there is one, this batch cannot be rolled back, since both may have changed the same
    records."""
    return (
        ImportBatch.objects.filter(source_id=batch.source_id, pk__gt=batch.pk, dry_run=False)
        .filter(Q(status=S.RUNNING) | Q(status__in=[S.DONE, S.FAILED], rows_done__gt=0))
        .order_by("pk")
        .first()
    )
