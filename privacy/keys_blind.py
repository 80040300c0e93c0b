"""Re-indexing under a new BLIND_INDEX_KEY (`rotate_keys --blind-index`): every blind index column
recomputed from the decrypted values (historical copies included), in locked batches like privacy.keys, resumable by a
KeyRotation row per table and key. While it runs (and after, for as long as
BLIND_INDEX_PREVIOUS_KEYS is set) look-ups through project.crypto.blind_indexes also match rows
still indexed under a previous key, so a repeat caller is recognised mid-way.

Not recomputable, so not here: portal sign-in codes (only their hash is kept) and the portal's
reference hashes; they keep matching through BLIND_INDEX_PREVIOUS_KEYS until they are replaced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models

from cases.models import ExternalReference, Person, PersonContact, Report
from cases.models.people import value_index
from feeds.models import PartnerEvent
from privacy.keys import BATCH, Progress, in_batches
from project.crypto import blind_index, key_id, normalise_text


def _person(person: Person) -> dict[str, str]:
    return {
        "name_index": blind_index(normalise_text(person.name)) if person.name else "",
        "phone_index": blind_index(person.phone) if person.phone else "",
    }


def _person_and_tokens(person: Person) -> dict[str, str]:
    person._index_name()  # the name's fuzzy-search tokens (cases.tokens), rebuilt under the key
    return _person(person)


def _report(report: Report) -> dict[str, str]:
    return {"sender_index": blind_index(report.sender) if report.sender else ""}


def _detail(row: PersonContact | ExternalReference) -> dict[str, str]:
    return {"value_index": value_index(row.value)}


def _partner_event(event: PartnerEvent) -> dict[str, str]:
    # Only a crime reference is indexed (a case number is kept to read, never matched):
    # an event with an index holds a crime reference.
    return {"reference_index": value_index(event.reference) if event.reference_index else ""}


# Each model whose rows carry blind indexes, and how a row's indexes are computed (the same
# functions its save() uses). Historical copies too: an index under a retired key is not left.
INDEXED: list[tuple[type[models.Model], Callable[[Any], dict[str, str]]]] = [
    (Person, _person_and_tokens),
    (Person.history.model, _person),
    (Report, _report),
    (Report.history.model, _report),
    (PersonContact, _detail),
    (PersonContact.history.model, _detail),
    (ExternalReference, _detail),
    (ExternalReference.history.model, _detail),
    (PartnerEvent, _partner_event),
]


def reindex(*, batch: int = BATCH, on_batch: Progress | None = None) -> dict[str, int]:
    """Recompute every blind index under the current key; rows changed per table."""
    key = key_id(settings.BLIND_INDEX_KEY)
    return {
        model._meta.db_table: _reindex_table(model, compute, key, batch, on_batch)
        for model, compute in INDEXED
    }


def _reindex_table(model: type[models.Model], compute: Callable[[Any], dict[str, str]], key: str,
                   batch: int, on_batch: Progress | None) -> int:  # fmt: skip

    def changed(row: models.Model) -> dict[str, Any]:
        wanted = compute(row)
        differs = any(getattr(row, name) != value for name, value in wanted.items())
        return wanted if differs else {}

    return in_batches(
        model,
        table=f"{model._meta.db_table}#blind",
        key=key,
        fetch=lambda after: list(
            model._base_manager.select_for_update().filter(pk__gt=after).order_by("pk")[:batch]
        ),
        change=changed,
        on_batch=on_batch,
    )
