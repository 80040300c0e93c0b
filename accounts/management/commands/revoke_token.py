from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import revoke_api_tokens


class Command(BaseCommand):
    help = "Revoke every API token of a member of staff: they stop working at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: object, username: str, **options: object) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        revoked = revoke_api_tokens(tokens=list(user.api_tokens.all()))
        self.stdout.write(f"Revoked {revoked} token(s) of {username}.")
