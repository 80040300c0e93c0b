"""Configuring a feed source (feeds.sources, `manage.py feed_source`): created or updated by slug,
its profile checked with every problem named and nothing saved when one is wrong, a profile
version per change of the profile, a history reason per change, and the source's one pull job in
django-celery-beat kept in step (created, retimed, disabled, never deleted)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from feeds.models import FeedSource, ImportBatch
from feeds.sources import SourceError, SourceSpec, save_source
from project.celery import app
from tests.feeds.conftest import shipped_profile

pytestmark = pytest.mark.django_db

JOB = "Pull feed city-police"


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    path = tmp_path / "street.json"
    path.write_text(json.dumps(shipped_profile("police-uk-street")))
    return path


def feed_source(*args: str) -> str:
    out = io.StringIO()
    call_command("feed_source", *args, stdout=out)
    return out.getvalue().strip()


def create(profile_file: Path, *more: str) -> str:
    return feed_source(
        "city-police", "--name", "City Police", "--profile", str(profile_file), *more
    )


def write_profile(path: Path, **changes: object) -> Path:
    profile = {**shipped_profile("police-uk-street"), **changes}
    path.write_text(json.dumps(profile))
    return path


def test_the_command_creates_a_source_in_the_only_helpline(helpline, profile_file) -> None:
    assert create(profile_file) == "Created source city-police (profile version 1)."

    source = FeedSource.objects.get(slug="city-police")
    assert (source.name, source.kind, source.helpline, source.is_active) == (
        "City Police",
        "crimes",
        helpline,
        True,
    )
    assert source.profile == shipped_profile("police-uk-street")
    assert source.history.get().history_change_reason == "Source created"
    assert not PeriodicTask.objects.filter(name=JOB).exists()  # it pulls from nowhere


def test_the_same_again_changes_nothing(helpline, profile_file, tmp_path) -> None:
    create(profile_file)
    # the same profile with its keys in another order is the same profile
    reordered = tmp_path / "reordered.json"
    reordered.write_text(json.dumps(dict(reversed(shipped_profile("police-uk-street").items()))))

    assert create(reordered) == "Unchanged source city-police (profile version 1)."
    assert FeedSource.objects.get().history.count() == 1


def test_a_new_profile_is_the_next_version_with_its_reason(helpline, profile_file) -> None:
    create(profile_file)
    write_profile(profile_file, decimal=",", delimiter=";")
    assert create(profile_file) == "Updated source city-police (profile version 2)."
    write_profile(profile_file, encoding="cp1252")
    assert create(profile_file) == "Updated source city-police (profile version 3)."
    # a new name is a change of the source, not of its profile
    out = feed_source("city-police", "--name", "City of London", "--profile", str(profile_file))
    assert out == "Updated source city-police (profile version 3)."

    source = FeedSource.objects.get()
    assert source.profile["encoding"] == "cp1252"
    reasons = list(source.history.values_list("history_change_reason", flat=True))
    assert reasons == [
        "Changed: name",
        "Changed: profile (version 3)",
        "Changed: profile (version 2)",
        "Source created",
    ]


def test_a_bad_profile_names_every_problem_and_saves_nothing(helpline, profile_file) -> None:
    write_profile(profile_file, format="pdf", skip_row=1, columns={"month": "Month"})

    with pytest.raises(CommandError) as refused:
        create(profile_file)

    message = str(refused.value)
    assert "not saved" in message
    assert '"format" must be one of' in message
    assert '"skip_row" is not a profile setting' in message
    assert "crime_reference" in message  # a required column not mapped
    assert message.count("\n- ") >= 3  # one line each
    assert not FeedSource.objects.exists()
    assert not PeriodicTask.objects.filter(name=JOB).exists()


def test_a_bad_profile_leaves_the_source_as_it_was(helpline, profile_file) -> None:
    create(profile_file, "--watch-folder", "/srv/feeds/city", "--every", "15")
    write_profile(profile_file, format="pdf")

    with pytest.raises(CommandError):
        feed_source("city-police", "--name", "Renamed", "--profile", str(profile_file),
                    "--every", "5")  # fmt: skip

    source = FeedSource.objects.get()
    assert (source.name, source.profile_version, source.pull_every_minutes) == (
        "City Police",
        1,
        15,
    )
    assert PeriodicTask.objects.get(name=JOB).interval.every == 15


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--pull-url", "http://force.example/street.csv", "--every", "60"], "https://"),
        (["--pull-url", "https://", "--every", "60"], "not a valid https://"),
        (["--watch-folder", "relative/folder", "--every", "5"], "full path"),
        (["--watch-folder", "/srv/feeds"], "how often"),
        (["--every", "5"], "folder to watch or an https:// address"),
        (["--watch-folder", "/srv/feeds", "--every", "0"], "every 1 to 10080 minutes"),
        (["--watch-folder", "/srv/feeds", "--every", "99999999999"], "a week at most"),
        (["--watch-folder", "/srv/" + "f" * 500, "--every", "5"], "At most 500 characters"),
        (
            [
                "--watch-folder",
                "/srv/feeds",
                "--pull-url",
                "https://force.example/a.csv",
                "--every",
                "5",
            ],
            "not both",
        ),  # fmt: skip
    ],
)
def test_pull_settings_that_cannot_work_are_refused(helpline, profile_file, options, words) -> None:
    with pytest.raises(CommandError, match=words):
        create(profile_file, *options)
    assert not FeedSource.objects.exists()


def test_a_pulling_source_has_one_job_kept_in_step(helpline, profile_file) -> None:
    create(profile_file, "--watch-folder", "/srv/feeds/city", "--every", "15")
    source = FeedSource.objects.get()
    job = PeriodicTask.objects.get(name=JOB)
    assert (job.task, json.loads(job.args), job.enabled) == (
        "feeds.tasks.pull_source",
        [source.pk],
        True,
    )
    assert (job.interval.every, job.interval.period) == (15, IntervalSchedule.MINUTES)

    # retimed; settings left out keep their value
    feed_source("city-police", "--name", "City Police", "--profile", str(profile_file),
                "--every", "30")  # fmt: skip
    job.refresh_from_db()
    assert (job.interval.every, job.enabled) == (30, True)
    assert FeedSource.objects.get().watch_folder == "/srv/feeds/city"

    # switched off: the job is disabled, not deleted; and back on
    create(profile_file, "--inactive")
    job.refresh_from_db()
    assert not job.enabled
    create(profile_file, "--active")
    job.refresh_from_db()
    assert job.enabled

    # pulling from an address instead, then from nowhere
    create(profile_file, "--watch-folder", "", "--pull-url", "https://force.example/feed/a.csv")
    job.refresh_from_db()
    assert (job.enabled, job.interval.every) == (True, 30)
    create(profile_file, "--pull-url", "")
    job.refresh_from_db()
    assert not job.enabled
    assert FeedSource.objects.get().pull_every_minutes is None
    assert PeriodicTask.objects.filter(task="feeds.tasks.pull_source").count() == 1


def test_interval_rows_are_shared_not_piled_up(helpline, profile_file) -> None:
    create(profile_file, "--watch-folder", "/srv/feeds/city", "--every", "15")
    feed_source("other-police", "--name", "Other Police", "--profile", str(profile_file),
                "--watch-folder", "/srv/feeds/other", "--every", "15")  # fmt: skip
    assert IntervalSchedule.objects.filter(every=15, period=IntervalSchedule.MINUTES).count() == 1


@pytest.mark.django_db(transaction=True)
def test_beat_runs_the_pull_job(helpline, profile_file) -> None:
    create(profile_file, "--watch-folder", "/srv/feeds/city", "--every", "20")
    scheduler = DatabaseScheduler(app=app)
    try:
        entry = scheduler.schedule[JOB]
        assert entry.task == "feeds.tasks.pull_source"
        assert entry.args == [FeedSource.objects.get().pk]
        assert entry.schedule.run_every == timedelta(minutes=20)
    finally:
        # as in tests/test_schedules.py: its finaliser would close a later test's connection
        scheduler._finalize()


def test_the_helpline_when_there_are_several(
    helpline, other_helpline, profile_file, settings
) -> None:
    settings.INTAKE_DEFAULT_HELPLINE = ""
    with pytest.raises(CommandError, match="--helpline"):
        create(profile_file)
    assert not FeedSource.objects.exists()

    settings.INTAKE_DEFAULT_HELPLINE = "south-helpline"
    create(profile_file)
    assert FeedSource.objects.get().helpline == other_helpline

    # named: kept on later updates that do not name one
    feed_source("north", "--name", "North", "--profile", str(profile_file),
                "--helpline", "north-helpline")  # fmt: skip
    feed_source("north", "--name", "North Police", "--profile", str(profile_file))
    assert FeedSource.objects.get(slug="north").helpline == helpline

    with pytest.raises(CommandError, match="no organisation"):
        create(profile_file, "--helpline", "nowhere")


def test_a_crime_source_goes_to_a_helpline_only(helpline, cso, profile_file) -> None:
    with pytest.raises(CommandError, match="active helpline"):
        create(profile_file, "--helpline", cso.slug)


def test_a_places_source_belongs_to_no_helpline(helpline, tmp_path) -> None:
    path = tmp_path / "uprn.json"
    path.write_text(json.dumps({"format": "csv", "columns": {"uprn": "UPRN"}}))

    out = feed_source("os-uprn", "--name", "Open UPRN", "--kind", "places", "--profile", str(path))

    assert out == "Created source os-uprn (profile version 1)."
    assert FeedSource.objects.get().helpline is None
    with pytest.raises(CommandError, match="belongs to no helpline"):
        feed_source("os-uprn", "--name", "Open UPRN", "--kind", "places", "--profile", str(path),
                    "--helpline", helpline.slug)  # fmt: skip
    # a crimes profile is not a places profile
    with pytest.raises(CommandError, match="not saved"):
        feed_source("os-uprn-2", "--name", "x", "--kind", "places", "--profile",
                    str(write_profile(tmp_path / "street.json")))  # fmt: skip


def test_a_profile_file_that_is_not_json(helpline, tmp_path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": "csv",')
    with pytest.raises(CommandError, match="not valid JSON"):
        feed_source("x", "--name", "X", "--profile", str(path))
    with pytest.raises(CommandError, match="cannot be read"):
        feed_source("x", "--name", "X", "--profile", str(tmp_path / "missing.json"))
    assert not FeedSource.objects.exists()


def test_the_service_reports_problems_by_field(helpline) -> None:
    spec = SourceSpec(slug="bad slug", name=" ", profile={"format": "csv"}, helpline=helpline)
    with pytest.raises(SourceError) as refused:
        save_source(spec, actor=None)
    assert set(refused.value.errors) == {"slug", "name", "profile"}
    assert not FeedSource.objects.exists()


def test_an_admin_change_is_attributed(helpline, admin_user) -> None:
    spec = SourceSpec(
        slug="city", name="City", profile=shipped_profile("police-uk-street"), helpline=helpline
    )
    save_source(spec, actor=admin_user)
    assert FeedSource.objects.get().history.get().history_user == admin_user


def test_the_kind_stays_once_files_were_imported(helpline, profile_file) -> None:
    create(profile_file)
    source = FeedSource.objects.get()
    ImportBatch.objects.create(source=source, origin="upload", checksum="0" * 64)

    with pytest.raises(CommandError, match="cannot change once files were imported"):
        create(profile_file, "--kind", "places")
    assert FeedSource.objects.get().kind == "crimes"
