from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from privacy.backup_database import DatabaseBackupError
from privacy.backup_stream import check_key
from privacy.restore import RestoreRefusedError, RestoreSummary, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` into the configured database and protected storage, "
        "after checking the whole file; then re-apply the erasures made since (ERASURE_LEDGER) and "
        "check the audit chain. Refuses a database that has data unless --yes. Exit 1 when "
        "refused, or when the restored tables do not match the backup or the audit chain is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--yes", action="store_true", help="replace a database that has data in it"
        )
        parser.add_argument("--sha256", default=None, help="the sha256 `backup` printed")

    def handle(self, *args: object, file: Path, yes: bool, sha256: str | None, **o: Any) -> None:
        file = Path(file)
        try:
            check_key()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if not file.is_file():
            raise CommandError(f"No backup file at {file}.")
        try:
            summary = restore_backup(file, replace=yes, expected_sha256=sha256)
        except RestoreRefusedError as exc:
            raise CommandError(f"Not restored: {exc}") from None
        except (DatabaseBackupError, OSError) as exc:
            raise CommandError(f"The restore failed part way: {exc}") from None
        self._report(summary)
        if summary.mismatched or not summary.audit.ok:
            raise CommandError("The restore finished with problems (above).")

    def _report(self, summary: RestoreSummary) -> None:
        out = self.stdout.write
        out(f"backup of {summary.manifest['created_at']} ({summary.manifest['vendor']})")
        for table in summary.mismatched:
            expected, restored = summary.tables[table]
            out(f"  {table}: {restored} rows (the backup has {expected}), or other rows")
        matched = len(summary.tables) - len(summary.mismatched)
        out(f"tables: {matched} of {len(summary.tables)} match the backup (rows and checksums)")
        out(
            f"files: {summary.files} restored, {summary.files_not_in_backup} not in the backup kept"
        )
        out(f"erasures: {summary.erased_again} re-applied")
        audit = summary.audit
        out(
            f"audit: ok, {audit.rows} rows"
            if audit.ok
            else f"audit: BROKEN at row {audit.broken_id}: {audit.problem}"
        )
        if summary.migrated:
            out("The backup's schema was older than this code's: migrated after the restore.")
        out(f"time: {summary.seconds:.1f} s")
