from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organisation
from accounts.services import AccountError, create_organisation


class Command(BaseCommand):
    help = "Create an organisation: a helpline, a CSO or a monitoring body."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=Organisation.Kind.values)

    def handle(self, *args: object, slug: str, name: str, kind: str, **options: object) -> None:
        try:
            organisation = create_organisation(slug=slug, name=name, kind=kind)
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Created {organisation.get_kind_display().lower()} {organisation.slug}.")
