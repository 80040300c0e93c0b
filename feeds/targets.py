"""Where an import's rows go, per kind of source: the engine (feeds.engine) reads and checks the
file, and hands each chunk of canonical rows to its source's target inside the chunk's one
transaction. Crime records are feeds.records.CrimesTarget; the gazetteer of places is
feeds.places_target.PlacesTarget.

A target is built once per run with the source and its parsed profile, and must:
- write(batch, rows, *, seen) -> Counts: classify and write one chunk (in bulk, never a save()
  per row), every row counted once as new, updated, unchanged or rejected. Nothing is written
  outside the transaction the engine holds, so a killed worker redoes the whole chunk. In a dry
  run (batch.dry_run) it writes the same, the engine rolls it all back, and would-be cases are
  counted, never opened.
- rollback(batch) -> list[str] | None: undo what the batch wrote (feeds.services.rollback_batch
  holds the source's lock and the transaction); returns the numbers of cases its rows opened,
  which stay (cases are never deleted), or None when the kind opens none.

`seen` is the file's running count of rows without a reference, per content hash: row_key uses
it to key identical rows of a file apart (the 1st, 2nd... of them), and the engine rebuilds it
over the rows it skips when a batch resumes, so the keys come out the same."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from feeds.models import FeedSource, ImportBatch
    from feeds.profiles import Canonical, Profile


@dataclass
class Counts:
    """What one chunk did. `errors` are (row, field, message), the message never the value."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    cases_opened: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    def reject(self, row: int, field_name: str, message: str) -> None:
        self.rejected += 1
        self.errors.append((row, field_name, message))


class Target(Protocol):
    def __init__(self, source: FeedSource, profile: Profile) -> None: ...

    def write(
        self, batch: ImportBatch, rows: list[tuple[int, Canonical]], *, seen: Counter[str]
    ) -> Counts: ...

    def rollback(self, batch: ImportBatch) -> list[str] | None: ...


# kind -> "module:Class", imported when first used (the places target is its own piece of work)
TARGETS = {
    "crimes": "feeds.records:CrimesTarget",
    "places": "feeds.places_target:PlacesTarget",
}


def target_for(source: FeedSource, profile: Profile) -> Target:
    module, name = TARGETS[source.kind].split(":")
    return getattr(import_module(module), name)(source, profile)


def row_key(canonical: Canonical, seen: Counter[str], digest: str) -> str:
    """A row's key within its source: its reference, or for a row without one its content hash
    and which occurrence of that content in the file it is (N identical rows are N records, and
    the same file again finds the same N)."""
    if canonical.reference:
        return canonical.reference
    seen[digest] += 1
    return f"h:{digest}:{seen[digest]}"
