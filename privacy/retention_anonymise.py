"""Anonymising a case whose content is past retention (SECURITY DP-08): everything written about it
is blanked, history included, while the Case row, its status, dates, category and area stay, so the
figures and the access log keep pointing at it.

What counts as "written about it" is found from the models, not listed by hand: every encrypted
field (Lantern encrypts everything personal) and every blind index (a keyed hash of such a value,
the search index) of every row pointing at the case, or at a row that points at it, in every app,
historical copies included. A field added later is covered without a change here. Rows that are
nothing but personal data (drafts, portal access, feed rows, people's contacts and name tokens)
are deleted; the people only on this case are blanked the same way."""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from cases.models import Case, Draft, Person, PersonContact, PersonToken, Report
from feeds.models import FeedRecord
from intake.recordings import discard_recording
from notifications.models import Notification
from portal.models import PortalAccess
from privacy.models import Category
from privacy.scrub import blank_rows, delete_rows
from project.crypto import is_encrypted
from project.history import attribute_change

# Models whose rows are personal data and nothing else: removed rather than blanked.
DELETED_WITH_CASE: tuple[tuple[type[models.Model], str], ...] = (
    (Draft, "case"),
    (PortalAccess, "case"),
    (FeedRecord, "case"),
)


def _is_history(model: type[models.Model]) -> bool:
    return any(field.name == "history_id" for field in model._meta.concrete_fields)


def blanks(model: type[models.Model]) -> dict[str, Any]:
    """Every encrypted field and blind index of `model`, with the blank each takes."""
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if is_encrypted(field):
            default = field.get_default()
            values[field.attname] = "" if default is None else default
        elif field.name.endswith("_index") and isinstance(field, models.CharField):
            values[field.attname] = ""
    return values


@cache
def _links_to(target: type[models.Model]) -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every foreign key to `target`, history tables included."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and field.related_model is target
    ]


def _blank_linked(target: type[models.Model], ids: list[int], depth: int = 2) -> int:
    """Blank the rows pointing at rows `ids` of `target` (and rows pointing at those, to `depth`).
    Returns how many current (not historical) rows were blanked."""
    count = 0
    for model, field in _links_to(target):
        rows = model._base_manager.filter(**{f"{field}__in": ids})
        values = blanks(model)
        if values:
            blanked = blank_rows(rows, values)
            count += 0 if _is_history(model) else blanked
        deeper = depth > 1 and not _is_history(model) and model is not target
        if deeper and _links_to(model):
            count += _blank_linked(model, list(rows.values_list("pk", flat=True)), depth - 1)
    return count


def discard_recordings(reports: models.QuerySet[Report], *, dry_run: bool = False) -> int:
    """Remove the recordings and transcripts of `reports` through intake.recordings, which also
    deletes the provider's copy (it raises RecordingUnavailableError, having changed nothing, when
    that cannot be done now: the caller leaves the case for the next sweep). A dry run must not
    reach the provider, so it blanks the fields only, in the transaction it rolls back."""
    count = 0
    for report in reports.exclude(recording_url="", transcription="", recording_file=""):
        if dry_run:
            blank_rows(
                Report.objects.filter(pk=report.pk),
                {"recording_url": "", "transcription": "", "recording_file": ""},
            )
        else:
            discard_recording(report)
        count += 1
    return count


def blank_people(people: models.QuerySet[Person]) -> int:
    """What identifies these people, their contacts and name tokens, history included. Age,
    ethnicity and language stay: the figures count them and alone they name nobody."""
    ids = list(people.values_list("pk", flat=True))
    if not ids:
        return 0
    delete_rows(PersonContact.objects.filter(person__in=ids))
    delete_rows(PersonToken.objects.filter(person__in=ids))
    blank_rows(Person.objects.filter(pk__in=ids), blanks(Person))
    _blank_linked(Person, ids, depth=1)
    return len(ids)


def anonymise_case(
    case: Case, *, reason: str = "Anonymised: its retention period passed", dry_run: bool = False
) -> dict[str, int]:
    """Blank everything written about `case` (and cases merged into it) and the people only on
    it; set its anonymised_at. Returns rows removed or blanked per category (case content,
    contact details, recordings, messages). Holds are the caller's to check; `dry_run` leaves the
    recording provider alone (see discard_recordings)."""
    counts: Counter[str] = Counter()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        reports = Report.objects.filter(case=locked)
        counts[Category.RECORDINGS] += discard_recordings(reports, dry_run=dry_run)
        counts[Category.MESSAGES] += (
            Notification.objects.filter(case=locked)
            .exclude(text="", destination="", override_reason="")
            .count()
        )
        counts[Category.MESSAGES] += reports.filter(channel=Report.PORTAL).exclude(body="").count()
        for model, field in DELETED_WITH_CASE:
            counts[Category.CASE_CONTENT] += delete_rows(model.objects.filter(**{field: locked}))
        only_here = Person.objects.filter(cases__case=locked).exclude(
            cases__case__in=Case.objects.exclude(pk=locked.pk).filter(anonymised_at__isnull=True)
        )
        counts[Category.CONTACT_DETAILS] += blank_people(only_here.distinct())
        # a merged case keeps its notes and referrals, pointing at the case it joined
        ids = [locked.pk, *Case.objects.filter(merged_into=locked).values_list("pk", flat=True)]
        counts[Category.CASE_CONTENT] += _blank_linked(Case, ids)
        blank_rows(Case.objects.filter(pk__in=ids), {**blanks(Case), "place": None})
        locked.refresh_from_db()
        locked.anonymised_at = timezone.now()
        attribute_change(locked, actor=None, reason=reason)
        locked.save(update_fields=["anonymised_at", "updated_at"])
        counts[Category.CASE_CONTENT] += 1
    return {category: count for category, count in counts.items() if count}
