"""Rolling an import back (feeds.services.rollback_batch): the records it created go, the ones it
changed get back what they held before, its cases stay (cases are never deleted) and are named;
only a source's newest import that wrote records can be rolled back, and the refusals say why."""

from __future__ import annotations

import pytest

from cases.models import Case
from feeds.models import FeedRecord, FeedRecordVersion, ImportBatch
from feeds.services import ImportRefused, rollback_batch
from tests.feeds.test_engine import (
    CONTACT_PROFILE,
    CONTACT_ROWS,
    STREET,
    contact_file,
    counts,
    import_bytes,
    import_street,
    make_source,
    stored,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_dir")]

S = ImportBatch.Status
ROW = "CR-{n},2026-10,Made-up Police,Burglary,On or near {place},,,"


def test_rollback_restores_changed_records_and_removes_new_ones(supervisor) -> None:
    source = make_source(profile=CONTACT_PROFILE)
    first = import_bytes(
        source, contact_file([ROW.format(n=1, place="A"), ROW.format(n=2, place="A")])
    )
    before = stored(source)
    # the second file changes CR-1 twice, leaves CR-2 alone and brings CR-3
    rows = [ROW.format(n=1, place="B"), ROW.format(n=1, place="C"), ROW.format(n=2, place="A")]
    second = import_bytes(source, contact_file([*rows, ROW.format(n=3, place="A")]))
    assert counts(second) == (4, 1, 2, 1, 0)

    done = rollback_batch(batch=second, actor=supervisor, reason="Sent the wrong month")

    assert stored(source) == before
    record = FeedRecord.objects.get(source=source, key="CR-1")
    assert record.data["location"] == "On or near A"
    assert record.last_batch == first
    assert not FeedRecordVersion.objects.exists()
    assert done.status == S.ROLLED_BACK
    assert (done.rolled_back_by, done.rollback_reason) == (supervisor, "Sent the wrong month")
    assert done.rolled_back_at is not None
    assert done.cases_kept == []
    # the first import can go back in turn, now that it is the newest that wrote
    rollback_batch(batch=first, actor=supervisor, reason="Whole feed withdrawn")
    assert not FeedRecord.objects.exists()


def test_the_same_file_again_after_a_rollback_is_new_again(supervisor) -> None:
    source = make_source()
    first = import_street(source)
    rollback_batch(batch=first, actor=supervisor, reason="Imported into the wrong source")

    again = import_street(source)

    assert counts(again) == counts(first)


def test_cases_opened_stay_are_named_and_not_opened_twice(helpline, supervisor) -> None:
    source = make_source(helpline, profile=CONTACT_PROFILE)
    batch = import_bytes(source, contact_file())
    numbers = sorted(Case.objects.values_list("number", flat=True))

    done = rollback_batch(batch=batch, actor=supervisor, reason="Duplicate delivery")

    assert sorted(done.cases_kept) == numbers
    assert Case.objects.count() == 2
    assert not FeedRecord.objects.exists()
    # imported again: the records find the cases they opened before
    again = import_bytes(source, contact_file())
    assert again.cases_opened == 0
    assert Case.objects.count() == 2
    assert FeedRecord.objects.get(source=source, key="CR-1").case.number in numbers


def test_only_the_newest_import_that_wrote_can_be_rolled_back(supervisor) -> None:
    source = make_source(profile=CONTACT_PROFILE)
    first = import_bytes(source, contact_file([ROW.format(n=1, place="A")]))
    import_bytes(source, contact_file([ROW.format(n=1, place="B")]))
    import_bytes(source, contact_file(CONTACT_ROWS[1:2]), dry_run=True)  # wrote nothing
    import_bytes(source, b"Name\nnot a feed\n")  # failed before any row: wrote nothing

    with pytest.raises(ImportRefused, match="roll that one back first"):
        rollback_batch(batch=first, actor=supervisor, reason="Wrong file")

    first.refresh_from_db()
    assert first.status == S.DONE
    assert FeedRecord.objects.get().data["location"] == "On or near B"


def test_what_cannot_be_rolled_back_says_why(supervisor) -> None:
    source = make_source(profile=CONTACT_PROFILE)
    dry = import_bytes(source, contact_file(), dry_run=True)
    with pytest.raises(ImportRefused, match="dry run wrote nothing"):
        rollback_batch(batch=dry, actor=supervisor, reason="No")

    batch = import_bytes(source, contact_file())
    with pytest.raises(ImportRefused, match="Say why"):
        rollback_batch(batch=batch, actor=supervisor, reason="  ")
    rollback_batch(batch=batch, actor=supervisor, reason="Wrong file")
    with pytest.raises(ImportRefused, match="rolled back already"):
        rollback_batch(batch=batch, actor=supervisor, reason="Again")

    running = ImportBatch.objects.create(
        source=source, origin=ImportBatch.Origin.API, checksum="0" * 64, status=S.RUNNING
    )
    with pytest.raises(ImportRefused, match="wait for it to end"):
        rollback_batch(batch=running, actor=supervisor, reason="Stop")


def test_a_failed_import_that_wrote_some_chunks_can_be_rolled_back(
    settings, monkeypatch, supervisor
) -> None:
    from feeds import records

    settings.FEED_CHUNK_ROWS = 100
    source = make_source()
    write = records.CrimesTarget.write
    calls = []

    def fails_in_the_third(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return write(self, *args, **kwargs)

    monkeypatch.setattr(records.CrimesTarget, "write", fails_in_the_third)
    batch = import_bytes(source, STREET.read_bytes())
    assert (batch.status, batch.rows_done) == (S.FAILED, 200)
    assert FeedRecord.objects.count() == 200

    rollback_batch(batch=batch, actor=supervisor, reason="Half a file")

    assert not FeedRecord.objects.exists()


def test_a_source_whose_profile_is_now_broken_refuses_in_words(supervisor) -> None:
    source = make_source(profile=CONTACT_PROFILE)
    batch = import_bytes(source, contact_file())
    source.profile = {"format": "parchment"}
    source.save()

    with pytest.raises(ImportRefused, match="profile is not valid"):
        rollback_batch(batch=batch, actor=supervisor, reason="Wrong file")

    batch.refresh_from_db()
    assert batch.status == S.DONE
