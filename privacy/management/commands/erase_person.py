"""`python manage.py erase_person ID --reason R` (CONTRACT): erase a person here and now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.models import Person
from privacy.erasure import ErasureError, erase_now


class Command(BaseCommand):
    help = (
        "Erase a person at once (the same service as the erasure pages), recorded as a request "
        "made and approved by the command line with the reason. A person under a legal hold is "
        "restricted instead. Refused for an unknown, erased or restricted person (exit 1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person_id", type=int, help="the person's id (from their page)")
        parser.add_argument("--reason", required=True, help="why: kept with the request")

    def handle(self, *args: object, person_id: int, reason: str, **options: Any) -> None:
        if not reason.strip():
            raise CommandError("Give the reason for the erasure (--reason).")
        try:
            request = erase_now(person_id=person_id, reason=reason)
        except ErasureError as exc:
            raise CommandError(str(exc)) from None
        if not Person.objects.filter(pk=person_id, erased_at__isnull=False).exists():
            self.stdout.write(
                f"Person {person_id} is under a legal hold: not erased, processing restricted "
                f"(request {request.pk})."
            )
        else:
            self.stdout.write(f"Person {person_id} erased (request {request.pk}).")
