"""Creating and changing a feed source (the feed_source command and the admin both come here).

A source's profile is checked by feeds.profiles before anything is saved, and every problem is
reported at once. A changed profile gets the next version number, so each batch says which
profile it was read with; every change keeps a history row with who and why. A source that pulls
(feeds.pulls) has one django-celery-beat job, kept in step here: created, retimed, or disabled
when the source stops pulling. Never deleted, as the shipped jobs are not (project.schedules)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.models import Organisation
from feeds.models import FeedSource
from feeds.profiles import ProfileError, parse_profile
from project.history import attribute_change

PULL_TASK = "feeds.tasks.pull_source"
LONGEST_INTERVAL = 7 * 24 * 60  # minutes

Problem = Callable[[str, str], None]  # (field, message)


class SourceError(Exception):
    """What is wrong with a source as asked, by field ("" for the source as a whole); every
    problem at once. Messages describe the setting, never a file's content."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(self.messages))

    @property
    def messages(self) -> list[str]:
        return [message for messages in self.errors.values() for message in messages]


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class SourceSpec:
    """A source as its administrator describes it. The slug names it and never changes."""

    slug: str
    name: str
    profile: dict
    kind: str = FeedSource.Kind.CRIMES
    helpline: Organisation | None = None
    watch_folder: str = ""
    pull_url: str = ""
    pull_every_minutes: int | None = None
    is_active: bool = True


def pull_task_name(slug: str) -> str:
    return f"Pull feed {slug}"


def check(spec: SourceSpec) -> dict[str, list[str]]:
    """Every problem with these settings, by field; empty when they can be saved."""
    errors: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    try:
        validate_slug(spec.slug)
    except ValidationError:
        problem("slug", "The slug may hold only letters, digits, hyphens and underscores.")
    if not spec.name.strip():
        problem("name", "Give the source a name.")
    lengths = {
        "slug": spec.slug,
        "name": spec.name.strip(),
        "watch_folder": spec.watch_folder,
        "pull_url": spec.pull_url,
    }
    for name, value in lengths.items():
        longest = FeedSource._meta.get_field(name).max_length
        if len(value) > longest:
            problem(name, f"At most {longest} characters.")
    if spec.kind not in FeedSource.Kind.values:
        problem("kind", f"The kind must be one of: {', '.join(FeedSource.Kind.values)}.")
    else:
        try:
            parse_profile(spec.profile, kind=spec.kind)
        except ProfileError as exc:
            for message in exc.messages:
                problem("profile", message)
    imported = FeedSource.objects.filter(slug=spec.slug, batches__isnull=False)
    if imported.exclude(kind=spec.kind).exists():
        # its records and batches were written (and roll back) as the old kind's
        problem("kind", "The kind cannot change once files were imported: add a new source.")
    _check_helpline(spec, problem)
    _check_pulls(spec, problem)
    return errors


def _check_helpline(spec: SourceSpec, problem: Problem) -> None:
    helpline = spec.helpline
    if spec.kind == FeedSource.Kind.PLACES:
        # feeds.policy: every helpline matches addresses against the gazetteer, none owns it
        if helpline is not None:
            problem("helpline", "A places source belongs to no helpline: leave it empty.")
    elif helpline is None:
        problem("helpline", "Choose the helpline whose queue this source's cases go to.")
    elif helpline.kind != Organisation.Kind.HELPLINE or not helpline.is_active:
        problem("helpline", "The helpline must be an active helpline.")


def _check_pulls(spec: SourceSpec, problem: Problem) -> None:
    folder, url, every = spec.watch_folder, spec.pull_url, spec.pull_every_minutes
    if folder and url:
        problem("", "A source pulls from a folder or from an address, not both.")
    if folder and not PurePath(folder).is_absolute():
        problem("watch_folder", "The folder must be a full path (starting with /).")
    if url:
        if not url.lower().startswith("https://"):
            problem(
                "pull_url", "The address must start with https:// (files may hold personal data)."
            )
        else:
            try:
                URLValidator(schemes=["https"])(url)
            except ValidationError:
                problem("pull_url", "The address is not a valid https:// address.")
    if every is not None and not 1 <= every <= LONGEST_INTERVAL:
        problem(
            "pull_every_minutes",
            f"Pull every 1 to {LONGEST_INTERVAL} minutes (a week at most).",
        )
    if (folder or url) and every is None:
        problem("pull_every_minutes", "Say how often to pull, in minutes.")
    if every is not None and not (folder or url):
        problem("pull_every_minutes", "Pulling needs a folder to watch or an https:// address.")


def save_source(spec: SourceSpec, *, actor: AbstractBaseUser | None) -> tuple[FeedSource, Outcome]:
    """Create the source with this slug, or bring it to these settings. Raises SourceError (and
    saves nothing) for settings check() refuses. A new profile bumps profile_version."""
    errors = check(spec)
    if errors:
        raise SourceError(errors)
    with transaction.atomic():
        # Locked, so two admins saving a profile at once get two versions, not one twice.
        source = FeedSource.objects.select_for_update().filter(slug=spec.slug).first()
        if source is None:
            source = FeedSource(slug=spec.slug)
            _apply(source, spec)
            attribute_change(source, actor=actor, reason="Source created")
            source.save()
            outcome = Outcome.CREATED
        else:
            reason = _describe_changes(source, spec)
            if reason is None:
                outcome = Outcome.UNCHANGED
            else:
                if _profile_text(source.profile) != _profile_text(spec.profile):
                    source.profile_version += 1
                _apply(source, spec)
                attribute_change(source, actor=actor, reason=reason)
                source.save()
                outcome = Outcome.UPDATED
        sync_schedule(source)
    return source, outcome


def _apply(source: FeedSource, spec: SourceSpec) -> None:
    source.name = spec.name.strip()
    source.kind = spec.kind
    source.helpline = spec.helpline
    source.profile = spec.profile
    source.watch_folder = spec.watch_folder
    source.pull_url = spec.pull_url
    source.pull_every_minutes = spec.pull_every_minutes
    source.is_active = spec.is_active


def _describe_changes(source: FeedSource, spec: SourceSpec) -> str | None:
    """The history reason for bringing `source` to `spec`, or None when nothing differs."""
    changed = []
    if _profile_text(source.profile) != _profile_text(spec.profile):
        changed.append(f"profile (version {source.profile_version + 1})")
    wanted = {
        "name": ("name", spec.name.strip()),
        "kind": ("kind", spec.kind),
        "helpline_id": ("helpline", spec.helpline.pk if spec.helpline else None),
        "watch_folder": ("watched folder", spec.watch_folder),
        "pull_url": ("address", spec.pull_url),
        "pull_every_minutes": ("pull interval", spec.pull_every_minutes),
        "is_active": ("active", spec.is_active),
    }
    changed += [
        label for field, (label, value) in wanted.items() if getattr(source, field) != value
    ]
    return f"Changed: {', '.join(changed)}" if changed else None


def _profile_text(profile: object) -> str:
    # Key order in the JSON an administrator pastes is not a change of the profile.
    return json.dumps(profile, sort_keys=True)


def sync_schedule(source: FeedSource) -> PeriodicTask | None:
    """The source's pull job as its settings say: enabled every N minutes while it is active and
    has somewhere to pull from; disabled otherwise (kept, with its run count, for the admin)."""
    pulls = bool(source.is_active and (source.watch_folder or source.pull_url))
    pulls = pulls and bool(source.pull_every_minutes)
    name = pull_task_name(source.slug)
    job = PeriodicTask.objects.filter(name=name).first()
    if job is None and not pulls:
        return None
    if job is None:
        job = PeriodicTask(name=name, task=PULL_TASK)
    job.task = PULL_TASK
    job.args = json.dumps([source.pk])
    job.enabled = pulls
    if pulls:
        job.interval = _every_minutes(source.pull_every_minutes)
        job.crontab = job.solar = job.clocked = None
        job.one_off = False
    job.description = f"Imports new files of the feed source {source.name}."
    job.save()
    return job


def _every_minutes(minutes: int) -> IntervalSchedule:
    # Interval rows are shared and not unique (project.schedules): reuse the first match.
    fields = {"every": minutes, "period": IntervalSchedule.MINUTES}
    return IntervalSchedule.objects.filter(**fields).first() or IntervalSchedule.objects.create(
        **fields
    )
