"""CONTRACT: `verify_audit` checks the access log's hash chain; exit 1 if it was altered."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from cases.audit_chain import verify


class Command(BaseCommand):
    help = "Check the access log's hash chain; exit 1 at the first row that was altered."

    def handle(self, *args: object, **options: object) -> None:
        check = verify()
        if check.ok:
            self.stdout.write(f"ok {check.rows} rows")
            return
        self.stdout.write(
            f"broken at row {check.broken_id}: {check.problem} ({check.rows} rows before it are ok)"
        )
        sys.exit(1)
