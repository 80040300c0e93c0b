"""The gazetteer imported through the feeds engine (issue 13 item 6): an OS Open UPRN-shaped file
and an address list, each with its shipped profile (feeds/profiles/), upserted on the UPRN in
bulk; the same file again is all unchanged; each shape fills what it has and keeps the rest; bad
rows are rejected by field, never quoting the value; a dry run writes nothing; a rollback removes
only what the batch made and nothing links to. Every UPRN, address and postcode here is made up."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from cases.models import Case, Place
from cases.places import suggest
from feeds.engine import run_batch
from feeds.models import FeedSource, ImportBatch, RowError
from feeds.services import rollback_batch, start_import
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

PROFILES = Path(__file__).resolve().parents[2] / "feeds" / "profiles"

OS_OPEN_UPRN = """UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE
900000000001,530001.00,180001.00,51.5101010,-0.1201010
900000000002,530002.00,180002.00,51.5102020,-0.1202020
900000000003,530003.50,180003.50,51.5103030,-0.1203030
"""
ADDRESS_LIST = """UPRN,ADDRESS,POSTCODE
900000000001,"1 Lanternfield Road, Testbury",ZZ1 1AA
900000000002,"2 Lanternfield Road, Testbury",zz11aa
900000000004,"Flat 3, 14 Wickmere Close, Testbury",ZZ2 3BD
"""
S = ImportBatch.Status


@pytest.fixture(autouse=True)
def _feed_files(settings, tmp_path: Path) -> None:
    settings.FEED_FILES_DIR = tmp_path / "feed-files"
    settings.FEED_FILES_DIR.mkdir()


def places_source(profile: str, slug: str | None = None) -> FeedSource:
    return FeedSource.objects.create(
        slug=slug or profile,
        name=f"Gazetteer ({profile})",
        kind=FeedSource.Kind.PLACES,
        profile=json.loads((PROFILES / f"{profile}.json").read_text()),
    )


def run(source: FeedSource, text: str, *, dry_run: bool = False) -> ImportBatch:
    batch = start_import(
        source=source, upload=io.BytesIO(text.encode()), file_name="places.csv", actor=None,
        dry_run=dry_run, origin=ImportBatch.Origin.COMMAND, queue=False,
    )  # fmt: skip
    run_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == S.DONE, batch.failure
    return batch


def counts(batch: ImportBatch) -> tuple[int, int, int, int, int]:
    return batch.rows, batch.new, batch.updated, batch.unchanged, batch.rejected


def test_an_os_open_uprn_file_adds_places_with_coordinates_and_again_is_unchanged() -> None:
    # given
    source = places_source("os-open-uprn")

    # when
    first = run(source, OS_OPEN_UPRN)
    again = run(source, OS_OPEN_UPRN)

    # then
    assert counts(first) == (3, 3, 0, 0, 0)
    assert counts(again) == (3, 0, 0, 3, 0)
    place = Place.objects.get(uprn="900000000003")
    assert (place.easting, place.northing) == (Decimal("530003.50"), Decimal("180003.50"))
    assert (place.latitude, place.longitude) == (Decimal("51.510303"), Decimal("-0.120303"))
    assert place.address == ""
    assert place.search_text == ""
    # the re-import changed nothing, so the places still name the batch that made them
    assert set(Place.objects.values_list("batch_id", flat=True)) == {first.pk}


def test_an_address_list_adds_searchable_places_with_normalised_postcodes() -> None:
    source = places_source("address-list")

    batch = run(source, ADDRESS_LIST)

    assert counts(batch) == (3, 3, 0, 0, 0)
    flat = Place.objects.get(uprn="900000000004")
    assert flat.address == "Flat 3, 14 Wickmere Close, Testbury"
    assert flat.search_text == "flat 3 14 wickmere close testbury"
    assert Place.objects.get(uprn="900000000002").postcode == "ZZ1 1AA"
    assert [place.uprn for place in suggest("14 wickmere")] == ["900000000004"]
    assert [place.uprn for place in suggest("zz1 1aa")] == ["900000000001", "900000000002"]


def test_each_shape_fills_what_it_has_and_keeps_what_the_other_gave() -> None:
    addresses, coordinates = places_source("address-list"), places_source("os-open-uprn")
    run(addresses, ADDRESS_LIST)

    filled = run(coordinates, OS_OPEN_UPRN)
    addresses_again = run(addresses, ADDRESS_LIST)

    # 1 and 2 gain coordinates, 3 is new; the address list again changes nothing
    assert counts(filled) == (3, 1, 2, 0, 0)
    assert counts(addresses_again) == (3, 0, 0, 3, 0)
    place = Place.objects.get(uprn="900000000001")
    assert place.address == "1 Lanternfield Road, Testbury"
    assert place.latitude == Decimal("51.510101")
    assert place.batch_id == filled.pk


def test_a_changed_address_is_updated_and_found_by_its_new_words() -> None:
    source = places_source("address-list")
    run(source, ADDRESS_LIST)

    batch = run(source, ADDRESS_LIST.replace("14 Wickmere Close", "14 Wickmere Court"))

    assert counts(batch) == (3, 0, 1, 2, 0)
    assert Place.objects.get(uprn="900000000004").search_text.endswith("wickmere court testbury")
    assert [place.uprn for place in suggest("flat 3 14 wickmere co")] == ["900000000004"]


def test_bad_rows_are_rejected_by_field_without_their_values_and_the_rest_stored() -> None:
    source = places_source("address-list")
    text = (
        "UPRN,ADDRESS,POSTCODE\n"
        '12AB,"9 Secretname Street, Testbury",ZZ1 1AA\n'
        '1234567890123,"10 Secretname Street, Testbury",ZZ1 1AA\n'
        '900000000009,"11 Secretname Street, Testbury",NOT A POSTCODE\n'
        '900000000010,"12 Secretname Street, Testbury",ZZ1 1AB\n'
    )

    batch = run(source, text)

    assert counts(batch) == (4, 1, 0, 0, 3)
    assert list(Place.objects.values_list("uprn", flat=True)) == ["900000000010"]
    errors = list(RowError.objects.filter(batch=batch).values_list("row", "field"))
    assert errors == [(2, "uprn"), (3, "uprn"), (4, "postcode")]
    for message in RowError.objects.filter(batch=batch).values_list("message", flat=True):
        assert "Secretname" not in message
        assert "12AB" not in message
        assert "NOT A" not in message


def test_a_uprn_twice_in_a_file_is_one_place_with_the_later_values() -> None:
    source = places_source("address-list")
    text = (
        "UPRN,ADDRESS,POSTCODE\n"
        '900000000020,"20 Oldname Row, Testbury",ZZ3 4CE\n'
        '900000000020,"20 Newname Row, Testbury",ZZ3 4CE\n'
    )

    first = run(source, text)
    again = run(source, text)

    assert counts(first) == (2, 1, 0, 1, 0)
    assert counts(again) == (2, 0, 0, 2, 0)
    assert Place.objects.get().address == "20 Newname Row, Testbury"


def test_a_dry_run_counts_the_same_and_writes_no_place() -> None:
    source = places_source("address-list")

    batch = run(source, ADDRESS_LIST, dry_run=True)

    assert counts(batch) == (3, 3, 0, 0, 0)
    assert not Place.objects.exists()


def test_places_are_written_in_bulk_never_one_save_per_row(monkeypatch) -> None:
    source = places_source("address-list")

    def one_by_one(*args: object, **kwargs: object) -> None:
        raise AssertionError("a place was saved on its own")

    monkeypatch.setattr(Place, "save", one_by_one)
    batch = run(source, ADDRESS_LIST)

    assert batch.new == 3
    assert Place.objects.count() == 3


def test_a_rollback_removes_only_unlinked_places_the_batch_made(operator) -> None:
    # given: the list made 1, 2 and 4; a later coordinates file updated 1 and made 3
    addresses, coordinates = places_source("address-list"), places_source("os-open-uprn")
    made = run(addresses, ADDRESS_LIST)
    one_and_three = [line for line in OS_OPEN_UPRN.splitlines() if not line.startswith("9") or
                     line.startswith(("900000000001", "900000000003"))]  # fmt: skip
    later = run(coordinates, "\n".join(one_and_three) + "\n")
    linked = CaseFactory(helpline=operator.organisation, status=Case.Status.VERIFIED)
    linked.place = Place.objects.get(uprn="900000000004")
    linked.save(update_fields=["place"])

    # when
    rolled = rollback_batch(batch=made, actor=operator, reason="Wrong council's list")
    rolled_later = rollback_batch(batch=later, actor=operator, reason="Wrong year's file")

    # then: 2 went with the list; 4 stays (a case points at it); 1, changed by the later file,
    # stays and keeps that file's values when it is rolled back; 3 went with the later file
    assert counts(later) == (2, 1, 1, 0, 0)
    assert rolled.status == S.ROLLED_BACK
    assert rolled_later.status == S.ROLLED_BACK
    assert sorted(Place.objects.values_list("uprn", flat=True)) == ["900000000001", "900000000004"]
    assert Place.objects.get(uprn="900000000001").latitude == Decimal("51.510101")


def test_the_commands_set_up_a_gazetteer_and_import_it(tmp_path: Path) -> None:
    # given: the way an administrator sets one up (CONTRACT "Police and partner feeds")
    csv = tmp_path / "osopenuprn.csv"
    csv.write_text(OS_OPEN_UPRN)
    call_command(
        "feed_source", "gazetteer", "--name", "OS Open UPRN", "--kind", "places",
        "--profile", str(PROFILES / "os-open-uprn.json"), stdout=io.StringIO(),
    )  # fmt: skip

    # when
    first, again = io.StringIO(), io.StringIO()
    call_command("import_feed", "gazetteer", str(csv), stdout=first)
    call_command("import_feed", "gazetteer", str(csv), stdout=again)

    # then
    assert FeedSource.objects.get(slug="gazetteer").kind == FeedSource.Kind.PLACES
    assert "new=3 updated=0 unchanged=0 rejected=0" in first.getvalue()
    assert "new=0 updated=0 unchanged=3 rejected=0" in again.getvalue()
    assert Place.objects.count() == 3
