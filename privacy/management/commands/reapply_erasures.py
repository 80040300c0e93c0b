"""`python manage.py reapply_erasures`: after a restore, erase again everyone erased since."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from privacy.erasure import reapply_erasures


class Command(BaseCommand):
    help = (
        "Erase again every person the erasure ledger (a file outside the database) or the "
        "tombstone list names who is not erased, as after a restore from an older backup. "
        "Safe to run again: prints how many were erased again."
    )

    def handle(self, *args: object, **options: Any) -> None:
        again = reapply_erasures()
        self.stdout.write(f"{again} re-erased")
