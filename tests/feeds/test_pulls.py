"""Scheduled pulls (feeds.pulls): a watched folder and an HTTPS address, each file imported once
(by its SHA-256), a changed file imported again, files still being written left for later;
https:// only (redirects too), a time limit and a size cap; a failure left on the source in words
and told to the supervisors once per streak of failures, not at every retry.

The HTTPS address is a real server on loopback (tests/feeds/loopback_https.py), with a certificate
from a made-up authority that requests trusts through FEED_PULL_CA_BUNDLE."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections

from accounts.models import User
from feeds import tasks
from feeds.models import FeedSource, ImportBatch
from feeds.pulls import PULL_LOCKS, pull_source
from feeds.services import rollback_batch
from feeds.sources import SourceSpec, save_source
from notifications.models import Notification
from tests.factories import StaffFactory
from tests.feeds.conftest import shipped_profile
from tests.feeds.loopback_https import Certificates, Force, Route, make_certificates, serving

pytestmark = pytest.mark.django_db

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)


def street_rows(*references: str) -> bytes:
    """A made-up police.uk street file with one row per reference."""
    rows = [
        f"{ref},2017-01,Made-up Police,Made-up Police,-0.1,51.5,On or near Nowhere Street,"
        f"E01000001,Nowhere 001A,Burglary,Under investigation,\n"
        for ref in references
    ]
    return (HEADER + "".join(rows)).encode()


def settled(path: Path, content: bytes) -> Path:
    """Write a file as a force's upload would have finished writing it a minute ago."""
    path.write_bytes(content)
    past = time.time() - 60
    os.utime(path, (past, past))
    return path


@pytest.fixture
def source(helpline, feeds_dir, tmp_path) -> FeedSource:
    folder = tmp_path / "incoming"
    folder.mkdir()
    spec = SourceSpec(
        slug="made-up-police",
        name="Made-up Police",
        profile=shipped_profile("police-uk-street"),
        helpline=helpline,
        watch_folder=str(folder),
        pull_every_minutes=15,
    )
    return save_source(spec, actor=None)[0]


@pytest.fixture
def pull(source, django_capture_on_commit_callbacks) -> Callable[[], FeedSource]:
    """One pull, its imports run as the feeds worker would after each commit."""

    def run() -> FeedSource:
        with django_capture_on_commit_callbacks(execute=True):
            pull_source(source.pk)
        source.refresh_from_db()
        return source

    return run


def batches(source: FeedSource) -> list[tuple[str, str, str]]:
    return list(
        ImportBatch.objects.filter(source=source)
        .order_by("pk")
        .values_list("file_name", "origin", "status")
    )


def alerts() -> list[Notification]:
    """The in-app alerts (supervisors are also emailed by default: notifications.preferences)."""
    return list(
        Notification.objects.filter(
            kind="feed.pull_failed", channel=Notification.Channel.IN_APP
        ).order_by("pk")
    )


# The folder -------------------------------------------------------------------------------------


def test_each_file_in_the_folder_is_imported_once(source, pull) -> None:
    folder = Path(source.watch_folder)
    settled(folder / "2017-01.csv", street_rows("ref-1", "ref-2"))
    settled(folder / "2017-02.csv", street_rows("ref-3"))

    pulled = pull()

    assert batches(source) == [
        ("2017-01.csv", "folder", "done"),
        ("2017-02.csv", "folder", "done"),
    ]
    assert ImportBatch.objects.get(file_name="2017-01.csv").new == 2
    assert pulled.last_pulled_at is not None
    assert pulled.last_pull_error == ""
    assert ImportBatch.objects.filter(started_by__isnull=False).count() == 0

    pull()
    pull()
    assert len(batches(source)) == 2  # nothing new: nothing imported again


def test_a_pulled_file_whose_import_fails_tells_the_supervisors(source, pull, supervisor) -> None:
    folder = Path(source.watch_folder)
    settled(folder / "wrong.csv", b"Nothing,Like,The,Profile\n1,2,3,4\n")

    pulled = pull()

    [(name, origin, status)] = batches(source)
    assert (origin, status) == ("folder", "failed")
    assert pulled.last_pull_error.startswith("The import ")
    assert "wrong" not in pulled.last_pull_error
    [told] = alerts()
    assert told.recipient == supervisor
    assert "failed" in told.text


def test_a_changed_file_is_imported_again(source, pull) -> None:
    path = settled(Path(source.watch_folder) / "latest.csv", street_rows("ref-1"))
    pull()
    settled(path, street_rows("ref-1", "ref-2"))

    pull()

    assert batches(source) == [("latest.csv", "folder", "done")] * 2
    second = ImportBatch.objects.filter(source=source).latest("pk")
    assert (second.new, second.unchanged) == (1, 1)


def test_files_still_being_written_are_left_for_later(source, pull) -> None:
    folder = Path(source.watch_folder)
    fresh = folder / "arriving.csv"
    fresh.write_bytes(street_rows("ref-1"))  # modified just now
    for name in (".hidden.csv", "upload.csv.part", "upload.tmp"):
        settled(folder / name, street_rows("ref-2"))
    (folder / "archive").mkdir()
    settled(folder / "archive" / "old.csv", street_rows("ref-3"))
    outside = settled(folder.parent / "elsewhere.csv", street_rows("ref-4"))
    (folder / "link.csv").symlink_to(outside)

    pull()
    assert batches(source) == []

    past = time.time() - 60
    os.utime(fresh, (past, past))
    pull()
    assert batches(source) == [("arriving.csv", "folder", "done")]


def test_a_file_rolled_back_is_not_pulled_back_in(source, pull, supervisor) -> None:
    settled(Path(source.watch_folder) / "wrong.csv", street_rows("ref-1"))
    pull()
    batch = ImportBatch.objects.get(source=source)
    rollback_batch(batch=batch, actor=supervisor, reason="Sent to us by mistake")

    pull()

    assert batches(source) == [("wrong.csv", "folder", "rolled_back")]


def test_a_missing_folder_tells_the_supervisors_once_per_streak(
    source, pull, supervisor, operator, other_helpline
) -> None:
    other_supervisor = StaffFactory(organisation=other_helpline, role=User.Role.SUPERVISOR)
    folder = Path(source.watch_folder)
    folder.rmdir()

    for _ in range(3):
        failed = pull()

    assert failed.last_pull_error == "The watched folder is missing (or is not a folder)."
    assert failed.last_pulled_at is None
    told = alerts()
    assert [alert.recipient for alert in told] == [supervisor]  # once
    emailed = Notification.objects.filter(kind="feed.pull_failed", channel="email")
    assert [alert.recipient for alert in emailed] == [supervisor]  # and by email, by default
    assert told[0].text == (
        "Pulling new files for the feed source Made-up Police failed: "
        "The watched folder is missing (or is not a folder)."
    )
    assert other_supervisor not in [alert.recipient for alert in told]
    assert failed.history.count() == 1  # a pull's bookkeeping is not a change of the source

    folder.mkdir()
    recovered = pull()
    assert recovered.last_pull_error == ""
    assert recovered.last_pulled_at is not None

    folder.rmdir()
    pull()
    pull()
    assert len(alerts()) == 2  # a new streak, told once more


def test_a_places_source_tells_every_helplines_supervisors(
    helpline, other_helpline, supervisor, feeds_dir, tmp_path, django_capture_on_commit_callbacks
) -> None:
    other_supervisor = StaffFactory(organisation=other_helpline, role=User.Role.SUPERVISOR)
    spec = SourceSpec(
        slug="open-uprn",
        name="Open UPRN",
        kind=FeedSource.Kind.PLACES,
        profile={"format": "csv", "columns": {"uprn": "UPRN"}},
        watch_folder=str(tmp_path / "not-there"),
        pull_every_minutes=60,
    )
    places, _ = save_source(spec, actor=None)

    pull_source(places.pk)

    assert {alert.recipient for alert in alerts()} == {supervisor, other_supervisor}


def test_one_bad_file_does_not_hold_up_the_others(source, pull, settings, supervisor) -> None:
    settings.FEED_MAX_FILE_MB = 1
    folder = Path(source.watch_folder)
    settled(folder / "huge.csv", street_rows("ref-1") + b"x" * (1024 * 1024))
    settled(folder / "empty.csv", b"")
    settled(folder / "good.csv", street_rows("ref-2"))

    failed = pull()

    assert batches(source) == [("good.csv", "folder", "done")]
    assert failed.last_pull_error.startswith("A file in the folder is larger than the 1 MB limit.")
    assert "huge" not in failed.last_pull_error  # a file name may say who it is about
    assert "(1 more in other files)" in failed.last_pull_error
    assert len(alerts()) == 1
    assert "ref-1" not in alerts()[0].text


def test_the_scheduled_task_pulls(source, django_capture_on_commit_callbacks) -> None:
    settled(Path(source.watch_folder) / "2017-01.csv", street_rows("ref-1"))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.pull_source.delay(source.pk)  # what the pull job's beat entry sends
    assert batches(source) == [("2017-01.csv", "folder", "done")]


def test_an_inactive_source_is_not_pulled(source, pull) -> None:
    settled(Path(source.watch_folder) / "2017-01.csv", street_rows("ref-1"))
    FeedSource.objects.filter(pk=source.pk).update(is_active=False)
    pull()
    assert batches(source) == []


# The address ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def certificates(tmp_path_factory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def force(certificates, settings) -> Iterator[Force]:
    settings.FEED_PULL_CA_BUNDLE = str(certificates.ca)
    with serving(certificates) as server:
        yield server


@pytest.fixture
def url_source(source, force) -> FeedSource:
    source.watch_folder = ""
    source.pull_url = f"{force.base}/exports/2017-01%20street.csv"
    source.save()
    return source


def test_an_address_is_fetched_and_each_version_imported_once(url_source, force, pull) -> None:
    force.routes["/exports/2017-01%20street.csv"] = Route(body=street_rows("ref-1", "ref-2"))

    pulled = pull()
    pull()

    assert batches(url_source) == [("2017-01 street.csv", "url", "done")]
    assert pulled.last_pulled_at is not None
    assert len(force.asked) == 2  # fetched each time, imported once

    force.routes["/exports/2017-01%20street.csv"] = Route(body=street_rows("ref-1", "ref-3"))
    pull()
    assert len(batches(url_source)) == 2
    assert ImportBatch.objects.filter(source=url_source).latest("pk").new == 1


def test_a_redirect_is_followed_over_https_only(url_source, force, pull) -> None:
    force.routes["/exports/2017-01%20street.csv"] = Route(
        status=302, headers={"Location": "/current.csv"}
    )
    force.routes["/current.csv"] = Route(body=street_rows("ref-1"))
    pull()
    assert batches(url_source) == [("2017-01 street.csv", "url", "done")]

    port = force.base.rsplit(":", 1)[1]
    force.routes["/exports/2017-01%20street.csv"] = Route(
        status=301, headers={"Location": f"http://127.0.0.1:{port}/current.csv"}
    )
    force.routes["/current.csv"] = Route(body=street_rows("ref-9"))
    failed = pull()
    assert "https:// only" in failed.last_pull_error
    assert force.asked.count("/current.csv") == 1  # the http:// address was never asked
    assert len(batches(url_source)) == 1


def test_an_http_address_is_refused_when_pulled(url_source, force, pull, supervisor) -> None:
    # feeds.sources refuses it on saving; an address changed behind its back is refused too
    port = force.base.rsplit(":", 1)[1]
    FeedSource.objects.filter(pk=url_source.pk).update(pull_url=f"http://127.0.0.1:{port}/a.csv")

    failed = pull()

    assert "https:// only" in failed.last_pull_error
    assert force.asked == []
    assert len(alerts()) == 1


@pytest.mark.parametrize("status", [404, 500])
def test_an_error_answer_is_a_failure_told_once(
    url_source, force, pull, supervisor, status
) -> None:
    force.routes["/exports/2017-01%20street.csv"] = Route(status=status, body=b"oops")
    for _ in range(3):
        failed = pull()
    assert failed.last_pull_error == f"The address answered with HTTP status {status}."
    assert [alert.recipient for alert in alerts()] == [supervisor]
    assert batches(url_source) == []


@pytest.mark.parametrize("slow", [{"delay": 2}, {"stall": 2}])
def test_a_slow_address_is_given_up(url_source, force, pull, settings, slow) -> None:
    settings.FEED_PULL_TIMEOUT = 1
    force.routes["/exports/2017-01%20street.csv"] = Route(body=street_rows("ref-1"), **slow)
    failed = pull()
    assert failed.last_pull_error == "The address did not answer within 1 seconds."
    assert batches(url_source) == []


@pytest.mark.parametrize("length", [True, False])
def test_a_file_over_the_size_cap_is_refused(url_source, force, pull, settings, length) -> None:
    settings.FEED_MAX_FILE_MB = 1
    body = street_rows("ref-1") + b"x" * (1024 * 1024)
    force.routes["/exports/2017-01%20street.csv"] = Route(body=body, length=length)

    failed = pull()

    assert failed.last_pull_error == "The file at the address is larger than the 1 MB limit."
    assert batches(url_source) == []
    assert list(Path(settings.FEED_FILES_DIR).iterdir()) == []  # nothing of it kept


def test_a_certificate_nobody_vouches_for_is_refused(url_source, force, pull, settings) -> None:
    settings.FEED_PULL_CA_BUNDLE = None  # the system's authorities do not know the made-up one
    force.routes["/exports/2017-01%20street.csv"] = Route(body=street_rows("ref-1"))
    failed = pull()
    assert failed.last_pull_error == "The address's certificate is not trusted."
    assert batches(url_source) == []


# On PostgreSQL: one pull of a source at a time --------------------------------------------------


@pytest.mark.real_services
@pytest.mark.django_db(transaction=True)
def test_a_pull_still_at_work_keeps_a_second_one_out(require_postgresql, source, pull) -> None:
    settled(Path(source.watch_folder) / "2017-01.csv", street_rows("ref-1"))
    other = connections.create_connection("default")  # a worker's pull, holding its lock
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [PULL_LOCKS, source.pk])
        pull()
        assert batches(source) == []
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [PULL_LOCKS, source.pk])
    finally:
        other.close()

    pull()
    assert batches(source) == [("2017-01.csv", "folder", "done")]
