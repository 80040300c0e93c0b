"""`python manage.py retention_sweep [--dry-run]`: remove what is past its retention period and
print how much per data category (CONTRACT), then the total."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from privacy.retention_sweep import sweep


class Command(BaseCommand):
    help = "Remove or anonymise data past its retention period (legal holds excepted)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = sweep(dry_run=options["dry_run"])
        for category, count in counts.items():
            self.stdout.write(f"{category}={count}")
        self.stdout.write(f"total={sum(counts.values())}")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was changed.")
