"""The case timeline in words (UX.md 26): each history entry from cases.selectors.case_history as a
sentence ("Referral changed by amina: Referred to Safe Haven") and each field change as
"Status: Verified → Referred", with labels, never raw codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

from cases.models import Case, Person, PersonContact

# The records a timeline is made of, by the name case_history gives them. Looked up through the
# case's relations because referrals (services, follow-ups) sits above cases.
_RELATED = (
    "reports", "people", "referrals", "services", "notes", "follow_ups", "flag_links",
    "other_categories", "external_events",
)  # fmt: skip
# Friendlier names than some models' verbose names.
_NOUNS = {
    "case person": "Person on the case",
    "case note": "Note",
    "service record": "Service",
    "follow up": "Follow-up",
    "case flag": "Flag",
    "person contact": "Contact detail",
    "crime system update": "Crime system update",
}
# A flag, further category or person set on a case or taken off it, said with what it is
# (case_history's `subject`): such a row has no field changes to show.
_SUBJECT_WORDS = {
    ("case flag", "created"): "Flag set: {}",
    ("case flag", "deleted"): "Flag cleared: {}",
    ("further category", "created"): "Further category added: {}",
    ("further category", "deleted"): "Further category removed: {}",
    ("case person", "created"): "{} added to the case",
    ("case person", "deleted"): "{} taken off the case",
}
# Rows whose creation reads better said another way than "<noun> created". A crime system's event
# (feeds.partners) arrives rather than being made here; its history reason says which event, from
# which system.
_CREATED_WORDS = {"crime system update": "Update from a crime system"}
# Bookkeeping every save touches: it says nothing a reader needs. A case row that changed only
# these (a change to its people, flags or categories counted in `version`) is no entry of its own.
_SKIPPED = frozenset({"updated_at", "version"})


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str  # "Case changed"
    by: str
    reason: str
    changes: list[str]


def _models() -> dict[str, type[models.Model]]:
    related = [Case._meta.get_field(name).related_model for name in _RELATED]
    return {str(m._meta.verbose_name): m for m in (Case, Person, PersonContact, *related)}  # type: ignore[union-attr]


def _value(field: models.Field, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "j M Y H:i")
    return str(value)


def _change(model: type[models.Model] | None, change: dict[str, Any]) -> str:
    name = change["field"]
    field = model._meta.get_field(name) if model else None
    label = capfirst(field.verbose_name) if field else capfirst(name.replace("_", " "))
    if "from" not in change:  # an encrypted field: that it changed, never what to
        return f"{label} changed"
    if field is None:
        return f"{label}: {change['from'] or '—'} → {change['to'] or '—'}"
    return f"{label}: {_value(field, change['from'])} → {_value(field, change['to'])}"


def readable(entries: list[dict[str, Any]]) -> list[TimelineEntry]:
    models_by_name = _models()
    timeline = []
    for entry in entries:
        model = models_by_name.get(entry["record"])
        noun = _NOUNS.get(entry["record"], capfirst(entry["record"]))
        changes = entry["changes"]
        if changes and all(change["field"] in _SKIPPED for change in changes):
            continue
        words = _SUBJECT_WORDS.get((entry["record"], entry["action"]))
        what = f"{noun} {entry['action']}"
        if words and entry.get("subject"):
            what = words.format(entry["subject"])
        elif entry["action"] == "created" and entry["record"] in _CREATED_WORDS:
            what = _CREATED_WORDS[entry["record"]]
        timeline.append(
            TimelineEntry(
                at=entry["at"],
                what=what,
                by=entry["by"] or "",
                reason=entry["reason"],
                changes=[
                    _change(model, change)
                    for change in entry["changes"]
                    if change["field"] not in _SKIPPED
                ],
            )
        )
    return timeline
