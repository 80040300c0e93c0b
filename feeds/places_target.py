"""The gazetteer target of the import engine (feeds.targets, sources of kind "places"): each chunk
of canonical rows upserts cases.Place on its UPRN in one statement, new / updated / unchanged
counted by comparing the values already stored.

Two shapes of file feed the one table (profiles in feeds/profiles/): the OS Open UPRN file
(feeds/profiles/os-open-uprn.json: UPRN, X_COORDINATE, Y_COORDINATE, LATITUDE, LONGITUDE, no
address) and an address list with UPRNs (feeds/profiles/address-list.json: UPRN, ADDRESS,
POSTCODE, optionally LATITUDE and LONGITUDE). Each fills what it has: a field the profile does not
map, or a blank cell, leaves the stored value alone, so importing coordinates after addresses (or
the other way round) keeps both.

Rolling a batch back deletes the places it created that nothing links to (no case, no address
matched to them) and no later import changed. Places it updated keep their new values: the
gazetteer is public reference data with no versions kept, and the next import of the source puts
right anything that was wrong. Places a case or an address was matched to in the meantime stay."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import F
from django.utils import timezone

from cases.models import Place
from cases.places import search_text
from feeds.targets import Counts

if TYPE_CHECKING:
    from feeds.models import FeedSource, ImportBatch
    from feeds.profiles import Canonical, Profile

# canonical field -> the places of decimals Place keeps it with
NUMBERS = {
    "latitude": Decimal("0.000001"),
    "longitude": Decimal("0.000001"),
    "easting": Decimal("0.01"),
    "northing": Decimal("0.01"),
}
TEXTS = ("address", "postcode")
VALUES = (*TEXTS, *NUMBERS)
WRITTEN = [*VALUES, "search_text", "batch_id", "updated_at"]


def _given(c: Canonical) -> dict[str, object]:
    """The row's values in Place's terms, only those it has (a blank keeps what is stored)."""
    values: dict[str, object] = {}
    for name in TEXTS:
        if c.data.get(name):
            values[name] = c.data[name]
    for name, places in NUMBERS.items():
        if c.data.get(name):
            values[name] = Decimal(c.data[name]).quantize(places)  # type: ignore[arg-type]
    return values


class PlacesTarget:
    def __init__(self, source: FeedSource, profile: Profile) -> None:
        self.source = source
        self.profile = profile

    def write(
        self, batch: ImportBatch, rows: list[tuple[int, Canonical]], *, seen: Counter[str]
    ) -> Counts:
        """Upsert the chunk's places (its UPRNs are its keys; `seen` is for rows without one,
        which a places profile refuses). A UPRN twice in a chunk is one place: the later row's
        values win over the earlier's, and the earlier row is counted unchanged."""
        counts = Counts()
        wanted: dict[str, dict[str, object]] = {}
        for _row, canonical in rows:
            if canonical.reference in wanted:
                counts.unchanged += 1
            wanted[canonical.reference] = wanted.get(canonical.reference, {}) | _given(canonical)
        stored = {place.uprn: place for place in Place.objects.filter(uprn__in=list(wanted))}
        now = timezone.now()
        changed: list[Place] = []
        for uprn, values in wanted.items():
            place = stored.get(uprn)
            if place is None:
                counts.new += 1
                # created_at equal to updated_at marks a place as never changed since its batch
                # made it (rollback deletes only those)
                place = Place(uprn=uprn, created_at=now)
            elif all(getattr(place, name) == value for name, value in values.items()):
                counts.unchanged += 1
                continue
            else:
                counts.updated += 1
            for name, value in values.items():
                setattr(place, name, value)
            place.search_text = search_text(place.address)
            place.batch_id = batch.pk
            place.updated_at = now
            changed.append(place)
        if changed:
            Place.objects.bulk_create(
                changed, update_conflicts=True, unique_fields=["uprn"], update_fields=WRITTEN
            )
        return counts

    def rollback(self, batch: ImportBatch) -> None:
        """Delete the places this batch created that nothing links to and nothing changed since
        (see the module's docstring); cases are never opened from places."""
        (
            Place.objects.filter(batch_id=batch.pk, created_at=F("updated_at"))
            .filter(cases__isnull=True, contacts__isnull=True)
            .delete()
        )
