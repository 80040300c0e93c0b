"""Staff's free text about an erased person's cases (notes, the incident, referral reasons, risk
notes...) is the record of the work and is kept; but wherever it repeats something that identifies
the person (their name, phone, address, date of birth, a contact detail or reference) word for
word, that value is replaced by "[erased]" — in the rows and in every historical copy of them.

Whole values only: a name is replaced as written, never its single words ("Sam" alone could be
anyone, and guessing would blank other people's words)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import models

from privacy.scrub import _history_model

ERASED = "[erased]"

# A value shorter than this is not looked for: "12" or "Jo" would match too much.
SHORTEST = 4

# (model, the path from it to the case, its text fields, its JSON fields)
FREE_TEXT: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("cases.Case", "pk", ("incident_location", "incident_description", "discard_note"), ()),
    ("cases.CaseNote", "case", ("text",), ()),
    ("cases.Report", "case", ("body", "transcription"), ("raw", "media")),
    ("cases.CaseMerge", "case", ("reason", "unmerge_reason"), ()),
    ("cases.BreakGlass", "case", ("reason", "review_note"), ()),
    ("referrals.Referral", "case", ("reason", "decline_reason"), ()),
    ("referrals.ServiceRecord", "case", ("notes",), ()),
    ("referrals.FollowUp", "case", ("notes",), ()),
    ("risk.Assessment", "case", ("notes", "judgement_reason"), ()),
    ("notifications.Notification", "case", ("text",), ()),
    ("portal.PortalUpdate", "case", ("body",), ()),
    ("privacy.LegalHold", "case", ("reason",), ()),
)


def pattern_for(values: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for every identifying value long enough to look for."""
    wanted = sorted({v.strip() for v in values if v and len(v.strip()) >= SHORTEST}, key=len)
    if not wanted:
        return None
    return re.compile("|".join(re.escape(v) for v in reversed(wanted)), re.IGNORECASE)


def _replace(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_replace(item, pattern) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, pattern) for key, item in value.items()}
    return value


def redact_rows(
    queryset: models.QuerySet, fields: tuple[str, ...], pattern: re.Pattern[str]
) -> int:
    """Replace the values in `fields` of the rows and of their historical copies; in place, no new
    history row (as privacy.scrub does). Returns how many rows (current or past) changed."""
    model = queryset.model
    pks = list(queryset.values_list("pk", flat=True))
    if not pks:
        return 0
    targets = [model._base_manager.filter(pk__in=pks)]
    history = _history_model(model)
    if history is not None:
        targets.append(history._base_manager.filter(**{f"{model._meta.pk.attname}__in": pks}))
    changed = 0
    for rows in targets:
        for row in rows.only("pk", *fields).iterator():
            values = {field: getattr(row, field) for field in fields}
            new = {field: _replace(value, pattern) for field, value in values.items()}
            if new != values:
                type(row)._base_manager.filter(pk=row.pk).update(**new)
                changed += 1
    return changed


def redact_mentions(case_ids: list[int], values: Iterable[str]) -> int:
    """Replace the person's identifying values in staff's free text on `case_ids`."""
    pattern = pattern_for(values)
    if pattern is None or not case_ids:
        return 0
    changed = 0
    for label, to_case, text_fields, json_fields in FREE_TEXT:
        model = apps.get_model(label)
        rows = model._base_manager.filter(**{f"{to_case}__in": case_ids})
        changed += redact_rows(rows, text_fields + json_fields, pattern)
    return changed
