from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandParser

from dashboards.rollup_builds import rebuild


class Command(BaseCommand):
    help = (
        "Build the snapshot reports' daily roll-up from the cases, from --since (default: the "
        "first case's day) to yesterday. Reports stay exact meanwhile: they count from the cases "
        "whatever the roll-up does not cover yet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=date.fromisoformat, help="a local day, YYYY-MM-DD")

    def handle(self, *args: object, since: date | None, **options: object) -> None:
        made, coverage = rebuild(since)
        if coverage is None:
            self.stdout.write("No whole day to build yet.")
        else:
            self.stdout.write(f"Built {made} cells; the roll-up covers {coverage}.")
