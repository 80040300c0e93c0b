from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from feeds.engine import run_batch
from feeds.models import FeedSource, ImportBatch
from feeds.services import ImportRefused, start_import


class Command(BaseCommand):
    help = (
        "Import a file into a feed source, here and now (the same service as the upload page and "
        "the API). Prints `new=N updated=N unchanged=N rejected=N`; rejected rows go to stderr "
        "by row and field, never their values. Exit 1 when the import fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the feed source's slug")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="count what it would do, write nothing"
        )

    def handle(self, *args: object, slug: str, file: Path, **options: Any) -> None:
        source = FeedSource.objects.filter(slug=slug).first()
        if source is None:
            raise CommandError(f"No feed source has the slug {slug!r}.")
        try:
            with file.open("rb") as upload:
                batch = start_import(
                    source=source,
                    upload=upload,
                    file_name=file.name,
                    actor=None,
                    dry_run=options["dry_run"],
                    origin=ImportBatch.Origin.COMMAND,
                    queue=False,
                )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or 'unreadable'}.") from None
        except ImportRefused as exc:
            raise CommandError(exc.message) from None
        run_batch(batch.pk)
        batch.refresh_from_db()
        if batch.status != ImportBatch.Status.DONE:
            raise CommandError(f"Import {batch.pk} failed: {batch.failure}")
        self.stdout.write(
            f"new={batch.new} updated={batch.updated} unchanged={batch.unchanged} "
            f"rejected={batch.rejected}"
        )
        for error in batch.row_errors.all():
            where = f"row {error.row}" + (f", {error.field}" if error.field else "")
            self.stderr.write(f"{where}: {error.message}")
        if batch.rejected > batch.row_errors.count():
            self.stderr.write(
                f"... {batch.rejected - batch.row_errors.count()} more rejected rows not listed"
            )
