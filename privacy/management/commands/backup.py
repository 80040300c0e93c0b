from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from privacy.backup_database import DatabaseBackupError
from privacy.backup_stream import check_key
from privacy.backups import create_backup


class Command(BaseCommand):
    help = (
        "Back up the database and the protected files into one file encrypted with BACKUP_KEY, "
        "lantern-<UTC timestamp>.backup, while Lantern runs. Prints the file and its sha256: "
        "keep the sha256 with the backup's record, BACKUP_KEY somewhere else."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", type=Path, default=None, help="directory to write to (default BACKUP_DIR)"
        )

    def handle(self, *args: object, out: Path | None, **options: Any) -> None:
        try:
            check_key()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        try:
            result = create_backup(Path(out or settings.BACKUP_DIR))
        except (DatabaseBackupError, OSError) as exc:
            raise CommandError(f"Backup failed: {exc}") from None
        self.stdout.write(
            f"{result.path}\nsha256 {result.sha256}\n"
            f"tables={result.tables} rows={result.rows} files={result.files}"
        )
