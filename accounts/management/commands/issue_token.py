from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import AccountError, issue_api_token


class Command(BaseCommand):
    help = "Print a new API token for a member of staff (shown once; only its digest is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: object, username: str, **options: object) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            self.stdout.write(issue_api_token(user=user))
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
