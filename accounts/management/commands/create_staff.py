from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organisation, User
from accounts.services import AccountError, create_staff


class Command(BaseCommand):
    help = "Create a member of staff with a TOTP device; prints the device's otpauth:// URI."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument("--role", required=True, choices=User.Role.values)
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="")

    def handle(self, *args: object, **options: str) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {options['org']!r}.")
        try:
            _, device = create_staff(
                username=options["username"],
                organisation=organisation,
                role=options["role"],
                password=options["password"],
                email=options["email"],
                phone=options["phone"],
            )
        except (AccountError, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(" ".join(messages)) from exc
        self.stdout.write(device.config_url)
