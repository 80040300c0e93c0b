from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organisation
from feeds.partners import PartnerError, create_partner


class Command(BaseCommand):
    help = (
        "Set up a partner system (a force's crime system) and print its secret, once: give it to "
        "the partner, who signs its events with it and checks our webhooks with it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--url", required=True, help="Where our webhooks go (https://).")
        parser.add_argument("--helpline", default="", help="Slug of the helpline it works with.")

    def handle(
        self, *args: object, slug: str, name: str, url: str, helpline: str, **options: object
    ) -> None:
        organisation = None
        if helpline:
            organisation = Organisation.objects.filter(
                slug=helpline, kind=Organisation.Kind.HELPLINE
            ).first()
            if organisation is None:
                raise CommandError(f"No helpline {helpline}.")
        try:
            partner, secret = create_partner(slug=slug, name=name, url=url, helpline=organisation)
        except PartnerError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Created partner {partner.slug}. Its secret (shown only now):")
        self.stdout.write(secret)
