"""`python manage.py sar_export ID --out FILE.zip` (CONTRACT): everything held about person ID, as
the subject access ZIP written (decrypted) to FILE.zip. The request is recorded as received today
by the command-line account, kept encrypted like one made on the DPO's pages, and audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from privacy.erasure import command_line_user
from privacy.sar import SubjectAccessError, export_subject_access, open_subject_access_request


class Command(BaseCommand):
    help = "Export everything held about a person (subject access) as a ZIP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person_id", type=int, help="The person's number.")
        parser.add_argument("--out", required=True, type=Path, help="Where to write the ZIP.")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if not out.parent.is_dir():
            raise CommandError(f"There is no folder {out.parent} to write the export in.")
        actor = command_line_user()
        try:
            request = open_subject_access_request(
                person_id=options["person_id"], received_on=timezone.localdate(), actor=actor
            )
            payload = export_subject_access(request_id=request.pk, actor=actor, via="command")
        except SubjectAccessError as error:
            raise CommandError(str(error)) from error
        out.write_bytes(payload)
        out.chmod(0o600)  # a copy of someone's data: readable by whoever ran the command only
        self.stdout.write(f"Subject access request {request.pk}: written to {out}")
