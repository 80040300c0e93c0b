"""CONTRACT: `rotate_keys` encrypts every stored value and protected file again under the first of
FIELD_ENCRYPTION_KEYS, then checks that the first key alone opens everything (exit 1 if not).
`rotate_keys --blind-index` recomputes every blind index under BLIND_INDEX_KEY instead.
Both run in batches, while Lantern runs, and continue where an interrupted run stopped."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from privacy import keys, keys_blind
from project.crypto import UndecryptableValueError


class Command(BaseCommand):
    help = "Re-encrypt everything under the first field key (or re-index the blind indexes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--blind-index", action="store_true",
                            help="Recompute the blind indexes under BLIND_INDEX_KEY.")  # fmt: skip
        parser.add_argument("--batch", type=int, default=keys.BATCH, help="Rows per transaction.")

    def _batch_done(self, table: str, rows: int) -> None:
        self.stdout.write(f"  {table}: {rows} rows", ending="\n")

    def handle(self, *args: object, **options: object) -> None:
        batch = int(options["batch"])  # type: ignore[call-overload]
        if options["blind_index"]:
            changed = keys_blind.reindex(batch=batch, on_batch=self._batch_done)
            for table, rows in changed.items():
                self.stdout.write(f"{table}: {rows} rows re-indexed")
            return
        try:
            done = keys.rotate(batch=batch, on_batch=self._batch_done)
        except UndecryptableValueError as exc:
            # Nothing was changed in that batch; the earlier ones stay done for the next run.
            raise CommandError(f"{exc}: is its key in FIELD_ENCRYPTION_KEYS?") from None
        self.stdout.write(f"key {done.key}")
        for table, rows in done.tables.items():
            if rows:
                self.stdout.write(f"{table}: {rows} rows re-encrypted")
        self.stdout.write(f"files: {done.files} re-encrypted")
        left = keys.remaining()
        if not left:
            self.stdout.write("ok: the first key alone opens every value and file")
            return
        for where, count in left.items():
            self.stdout.write(f"not under the first key: {where}: {count}")
        sys.exit(1)
