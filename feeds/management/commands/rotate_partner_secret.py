from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from feeds.models import Partner
from feeds.partners import rotate_secret


class Command(BaseCommand):
    help = (
        "Give a partner a new secret and print it, once. The old one stays valid for "
        "PARTNER_SECRET_OVERLAP_HOURS, so the partner can switch without downtime."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args: object, slug: str, **options: object) -> None:
        partner = Partner.objects.filter(slug=slug).first()
        if partner is None:
            raise CommandError(f"No partner {slug}.")
        secret = rotate_secret(partner=partner)
        hours = settings.PARTNER_SECRET_OVERLAP_HOURS
        self.stdout.write(
            f"New secret for {partner.slug} (shown only now); the old one works for {hours} more "
            "hours:"
        )
        self.stdout.write(secret)
