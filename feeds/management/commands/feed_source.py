from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organisation
from feeds.models import FeedSource
from feeds.sources import SourceError, SourceSpec, save_source
from intake.services import IntakeError, helpline_for


class Command(BaseCommand):
    help = (
        "Create a feed source, or update the one with this slug: its name, profile (a JSON file, "
        "CONTRACT 'Police and partner feeds') and where and how often it is pulled from. Settings "
        "left out keep their value; a new source's helpline is the default helpline."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--profile", required=True, type=Path, help="the profile JSON file")
        parser.add_argument("--helpline", help="slug of the helpline its cases go to (crimes)")
        parser.add_argument("--kind", choices=FeedSource.Kind.values)
        parser.add_argument("--watch-folder", help="a folder to import new files from ('' stops)")
        parser.add_argument("--pull-url", help="an https:// address to fetch ('' stops)")
        parser.add_argument("--every", type=int, help="minutes between pulls")
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--inactive", action="store_true", help="stop imports and pulls")
        state.add_argument("--active", action="store_true", help="allow them again")

    def handle(self, *args: object, slug: str, **options: Any) -> None:
        profile = _read_profile(options["profile"])
        existing = FeedSource.objects.filter(slug=slug).first()
        kind = options["kind"] or (existing.kind if existing else FeedSource.Kind.CRIMES)

        def given(option: str, field: str, default: object) -> object:
            if options[option] is not None:
                return options[option]
            return getattr(existing, field) if existing else default

        folder, url = given("watch_folder", "watch_folder", ""), given("pull_url", "pull_url", "")
        every = given("every", "pull_every_minutes", None)
        if not folder and not url and options["every"] is None:
            every = None  # stopping the pulls stops their schedule too
        is_active = (existing.is_active if existing else True) or options["active"]
        spec = SourceSpec(
            slug=slug,
            name=options["name"],
            profile=profile,
            kind=kind,
            helpline=_helpline(options["helpline"], kind, existing),
            watch_folder=folder,
            pull_url=url,
            pull_every_minutes=every,
            is_active=is_active and not options["inactive"],
        )
        try:
            source, outcome = save_source(spec, actor=None)
        except SourceError as exc:
            lines = "\n".join(f"- {message}" for message in exc.messages)
            raise CommandError(f"The source was not saved:\n{lines}") from exc
        self.stdout.write(
            f"{outcome.value.capitalize()} source {source.slug} "
            f"(profile version {source.profile_version})."
        )


def _read_profile(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise CommandError(f"The profile file cannot be read: {exc.strerror}.") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"The profile file is not valid JSON: {exc}.") from exc


def _helpline(slug: str | None, kind: str, existing: FeedSource | None) -> Organisation | None:
    if slug is not None:
        helpline = Organisation.objects.filter(slug=slug).first()
        if helpline is None:
            raise CommandError(f"There is no organisation with the slug {slug!r}.")
        return helpline
    if existing is not None and existing.kind == kind:
        return existing.helpline
    if kind == FeedSource.Kind.PLACES:
        return None  # the gazetteer belongs to no helpline (feeds.policy)
    try:
        return helpline_for()
    except IntakeError as exc:
        raise CommandError(f"{exc} Or name one with --helpline.") from exc
