"""Starting an import: `manage.py import_feed SLUG FILE [--dry-run]` (CONTRACT "Police and partner
feeds") runs the service the page and the API share (feeds.services.start_import) here and now;
one line of counts on stdout, rejected rows on stderr by row and field (never their values), exit
1 (CommandError) when it cannot import. The service keeps the file privately until its batch ends,
refuses a file over the limit or a switched-off source with nothing kept, and queues the import
after commit."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from feeds import engine
from feeds.engine import run_batch
from feeds.models import FeedRecord, ImportBatch, RowError
from feeds.services import ImportRefused, start_import
from tests.feeds.conftest import STREET_ROWS
from tests.feeds.test_engine import CONTACT_PROFILE, STREET, contact_file, make_source

S = ImportBatch.Status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_dir")]


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_feed", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_the_counts_and_again_all_unchanged() -> None:
    make_source(slug="city-of-london")

    assert run("city-of-london", str(STREET)) == (
        f"new={STREET_ROWS} updated=0 unchanged=0 rejected=0\n",
        "",
    )
    assert run("city-of-london", str(STREET))[0] == (
        f"new=0 updated=0 unchanged={STREET_ROWS} rejected=0\n"
    )
    batch = ImportBatch.objects.first()
    assert batch.origin == ImportBatch.Origin.COMMAND
    assert batch.file_name == STREET.name


def test_a_dry_run_prints_the_same_counts_and_writes_nothing() -> None:
    make_source(slug="city-of-london")

    out, _ = run("city-of-london", str(STREET), "--dry-run")

    assert out == f"new={STREET_ROWS} updated=0 unchanged=0 rejected=0\n"
    assert not FeedRecord.objects.exists()


def test_rejected_rows_go_to_stderr_by_row_and_field_without_values(tmp_path: Path) -> None:
    make_source(slug="made-up", profile=CONTACT_PROFILE)
    file = tmp_path / "feed.csv"
    file.write_bytes(
        contact_file(
            [
                "CR-1,2026-10,Made-up Police,Burglary,On or near Elm Row,,,",
                "CR-2,2026-10,Made-up Police,Burglary,On or near Elm Row,Ida Pennyroyal,phone?,",
            ]
        )
    )

    out, err = run("made-up", str(file))

    assert out == "new=1 updated=0 unchanged=0 rejected=1\n"
    assert err.startswith("row 3, victim_phone: ")
    assert "Pennyroyal" not in err
    assert "phone?" not in err


def test_an_unknown_source_is_an_error() -> None:
    with pytest.raises(CommandError, match="No feed source has the slug 'nowhere'"):
        run("nowhere", str(STREET))
    assert not ImportBatch.objects.exists()


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    make_source(slug="city-of-london")

    with pytest.raises(CommandError, match="Cannot read"):
        run("city-of-london", str(tmp_path / "absent.csv"))
    assert not ImportBatch.objects.exists()


def test_a_failed_import_is_an_error_in_words(tmp_path: Path) -> None:
    make_source(slug="city-of-london")
    file = tmp_path / "wrong.csv"
    file.write_text("Name,Phone\nOttoline Brackenridge,07700900999\n")

    with pytest.raises(CommandError, match="failed: The file has no column") as raised:
        run("city-of-london", str(file))

    assert "Ottoline" not in str(raised.value)
    assert ImportBatch.objects.get().status == ImportBatch.Status.FAILED


def test_a_refused_import_is_an_error(settings, tmp_path: Path) -> None:
    settings.FEED_MAX_FILE_MB = 0
    make_source(slug="city-of-london")

    with pytest.raises(CommandError, match="larger than 0 MB"):
        run("city-of-london", str(STREET))


# Starting an import ---------------------------------------------------------------------------------


def test_the_file_is_kept_privately_until_the_batch_ends(
    feeds_dir: Path, django_capture_on_commit_callbacks
) -> None:
    source = make_source()
    batch = start_import(
        source=source, upload=STREET.open("rb"), file_name="../../etc/street.csv", actor=None,
        origin=ImportBatch.Origin.UPLOAD, queue=False,
    )  # fmt: skip
    [kept] = list(feeds_dir.iterdir())
    assert kept.name == batch.stored_file
    assert "street" not in kept.name
    assert os.stat(kept).st_mode & 0o777 == 0o600
    assert batch.file_name == "street.csv"
    assert batch.status == S.QUEUED

    with django_capture_on_commit_callbacks(execute=True):
        run_batch(batch.pk)
    assert list(feeds_dir.iterdir()) == []  # deleted once the batch is done


def test_a_file_over_the_limit_is_refused_and_nothing_kept(settings, feeds_dir: Path) -> None:
    settings.FEED_MAX_FILE_MB = 1
    source = make_source()

    with pytest.raises(ImportRefused, match="larger than 1 MB"):
        start_import(
            source=source, upload=io.BytesIO(b"x" * (1024 * 1024 + 1)), file_name="big.csv",
            actor=None, origin=ImportBatch.Origin.UPLOAD,
        )  # fmt: skip

    assert not ImportBatch.objects.exists()
    assert list(feeds_dir.iterdir()) == []


def test_a_switched_off_source_takes_no_import() -> None:
    source = make_source()
    source.is_active = False
    source.save()

    with pytest.raises(ImportRefused, match="switched off"):
        start_import(
            source=source, upload=STREET.open("rb"), file_name="s.csv", actor=None,
            origin=ImportBatch.Origin.UPLOAD,
        )  # fmt: skip
    assert not ImportBatch.objects.exists()


def test_the_import_is_queued_after_commit(django_capture_on_commit_callbacks, monkeypatch) -> None:
    ran = []
    monkeypatch.setattr(engine, "run_batch", ran.append)
    source = make_source()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        batch = start_import(
            source=source, upload=STREET.open("rb"), file_name="s.csv", actor=None,
            origin=ImportBatch.Origin.API,
        )  # fmt: skip

    assert len(callbacks) == 1
    assert ran == [batch.pk]  # Celery is eager here: the task ran the engine
    assert RowError.objects.count() == 0
