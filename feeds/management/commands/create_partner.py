from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organisation
from feeds.partners import PartnerError, create_partner
from intake.services import IntakeError, helpline_for


class Command(BaseCommand):
    help = (
        "Set up a partner system (a force's crime system) and print its secret, once: give it to "
        "the partner, who signs its events with it and checks our webhooks with it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--url", required=True, help="Where our webhooks go (https://).")
        parser.add_argument(
            "--helpline",
            default="",
            help="Slug of the helpline it works with (default: the default helpline).",
        )

    def handle(
        self, *args: object, slug: str, name: str, url: str, helpline: str, **options: object
    ) -> None:
        if helpline:
            organisation = Organisation.objects.filter(
                slug=helpline, kind=Organisation.Kind.HELPLINE
            ).first()
            if organisation is None:
                raise CommandError(f"No helpline {helpline}.")
        else:
            try:  # the default helpline, as for reports (INTAKE_DEFAULT_HELPLINE or the only one)
                organisation = helpline_for()
            except IntakeError:
                organisation = None
        try:
            partner, secret = create_partner(slug=slug, name=name, url=url, helpline=organisation)
        except PartnerError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Created partner {partner.slug}. Its secret (shown only now):")
        self.stdout.write(secret)
