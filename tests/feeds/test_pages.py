"""The feeds pages: /feeds/ lists the sources a supervisor or administrator may import into (a 403
for everyone else); a source's page has the upload form (dry run ticked) and its imports; an upload
goes to the import's page, which shows the progress bar and, once the import ends, its report:
counts, the cases it opened (links for those who may see them), the rows it rejected (row, field,
message, never a value), "Roll back this import" (a reason required) and, after a dry run, "Import
for real". A source or import the user may not manage is a 404. Celery is eager in tests, so an
upload has run by the time its page is shown."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Organisation, User
from cases.models import Case
from feeds import files
from feeds.models import FeedRecord, FeedSource, ImportBatch
from tests.factories import StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_dir")]

S = ImportBatch.Status
PROFILE = {
    "format": "csv",
    "columns": {
        "crime_reference": "Crime ID",
        "month": "Month",
        "force": "Falls within",
        "category": "Crime type",
        "location": "Location",
        "victim_name": "Victim name",
        "victim_phone": "Victim phone",
    },
}
HEADER = "Crime ID,Month,Falls within,Crime type,Location,Victim name,Victim phone"
VICTIM = "Ottilie Quernbrook"  # made up, as is everything here
BAD_MONTH = "2026-13"
CSV = (
    "\n".join(
        [
            HEADER,
            f"PG-1,2026-10,Made-up Police,Burglary,On or near Elm Row,{VICTIM},07700 900461",
            f"PG-2,{BAD_MONTH},Made-up Police,Burglary,On or near Oak Lane,,",
            "PG-3,2026-10,Made-up Police,Other theft,On or near Ash Close,,",
        ]
    )
    + "\n"
).encode()


def make_source(helpline: Organisation | None, slug: str = "made-up-police", **extra) -> FeedSource:  # type: ignore[no-untyped-def]
    return FeedSource.objects.create(
        slug=slug, name=f"Made-up Police {slug}", helpline=helpline, profile=PROFILE, **extra
    )


@pytest.fixture
def source(helpline: Organisation) -> FeedSource:
    return make_source(helpline)


@pytest.fixture
def other_supervisor(other_helpline: Organisation) -> User:
    return StaffFactory(username="sam", organisation=other_helpline, role=User.Role.SUPERVISOR)


@pytest.fixture
def upload(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Send a file through the source page's form; the import queued on commit runs."""

    def post(client: Client, slug: str, content: bytes = CSV, *, dry_run: bool = False):  # type: ignore[no-untyped-def]
        data: dict[str, object] = {"file": SimpleUploadedFile("october.csv", content)}
        if dry_run:
            data["dry_run"] = "on"
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/feeds/{slug}/imports/", data)

    return post


# The list and a source's page ----------------------------------------------------------------------


def test_the_list_shows_the_sources_a_supervisor_may_import_into(
    supervisor, otp_client, source, other_helpline
) -> None:  # type: ignore[no-untyped-def]
    make_source(other_helpline, slug="south-police")
    make_source(None, slug="gazetteer", kind=FeedSource.Kind.PLACES)

    page = otp_client(supervisor).get("/feeds/")

    assert page.status_code == 200
    shown = [source.slug for source, _ in page.context["rows"]]
    assert shown == ["gazetteer", "made-up-police"]  # the places source is every helpline's
    assert b"/feeds/made-up-police/" in page.content
    assert b"south-police" not in page.content


@pytest.mark.parametrize("who", ["operator", "cso_rep", "monitor"])
def test_the_list_is_forbidden_to_those_who_manage_no_feeds(who, request, otp_client) -> None:  # type: ignore[no-untyped-def]
    assert otp_client(request.getfixturevalue(who)).get("/feeds/").status_code == 403


def test_a_source_page_has_the_upload_form_with_dry_run_ticked(
    supervisor, otp_client, source
) -> None:  # type: ignore[no-untyped-def]
    page = otp_client(supervisor).get(f"/feeds/{source.slug}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'name="dry_run"' in html
    assert "checked" in html
    assert 'accept=".csv' in html
    assert "Up to 200 MB" in html
    assert "Crime ID" in html  # the columns it reads


def test_the_template_is_the_header_row_the_profile_reads(supervisor, otp_client, helpline) -> None:  # type: ignore[no-untyped-def]
    profile = {"format": "csv", "delimiter": ";",
               "columns": {"month": "Month", "crime_reference": ["Crime Ref", "Crime ID"]}}  # fmt: skip
    source = make_source(helpline, slug="semicolons")
    FeedSource.objects.filter(pk=source.pk).update(profile=profile)
    client = otp_client(supervisor)

    download = client.get("/feeds/semicolons/template/")

    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert download.content == b"Crime Ref;Month\r\n"
    assert b"/feeds/semicolons/template/" in client.get("/feeds/semicolons/").content


def test_a_source_of_workbooks_has_no_template(supervisor, otp_client, helpline) -> None:  # type: ignore[no-untyped-def]
    source = make_source(helpline, slug="workbooks")
    FeedSource.objects.filter(pk=source.pk).update(profile={**PROFILE, "format": "xlsx"})

    assert otp_client(supervisor).get("/feeds/workbooks/template/").status_code == 404


@pytest.mark.parametrize("who", ["operator", "cso_rep", "monitor", "other_supervisor"])
def test_someone_elses_source_and_import_are_404(
    who, request, otp_client, supervisor, source, upload
) -> None:  # type: ignore[no-untyped-def]
    upload(otp_client(supervisor), source.slug)
    batch = ImportBatch.objects.get()
    client = otp_client(request.getfixturevalue(who))

    for url in (
        f"/feeds/{source.slug}/",
        f"/feeds/imports/{batch.pk}/",
        f"/feeds/imports/{batch.pk}/progress/",
        f"/feeds/imports/{batch.pk}/errors.csv",
        f"/feeds/{source.slug}/template/",
    ):
        assert client.get(url).status_code == 404, url
    assert upload(client, source.slug).status_code == 404
    refused = client.post(f"/feeds/imports/{batch.pk}/rollback/", {"reason": "Made-up reason"})
    assert refused.status_code == 404
    assert ImportBatch.objects.count() == 1
    assert ImportBatch.objects.get().status == S.DONE


# Uploading and the report ----------------------------------------------------------------------------


def test_an_upload_leads_to_its_report(supervisor, otp_client, source, upload) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(supervisor)

    sent = upload(client, source.slug)

    batch = ImportBatch.objects.get()
    assert sent.status_code == 302
    assert sent.url == f"/feeds/imports/{batch.pk}/"
    assert (batch.origin, batch.started_by, batch.dry_run) == ("upload", supervisor, False)
    page = client.get(sent.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["bar"] == {"max": 3, "value": 3, "text": "100%: all 3 rows read."}
    counts = {name: f'data-count="{name}">{value}<' for name, value in
              [("rows", 3), ("new", 2), ("updated", 0), ("unchanged", 0), ("rejected", 1),
               ("cases_opened", 1)]}  # fmt: skip
    for name, cell in counts.items():
        assert cell in html, name
    case = Case.objects.get()
    assert f'href="/cases/{case.number}/"' in html
    errors = list(page.context["errors"])
    assert [(e.row, e.field) for e in errors] == [(3, "month")]
    assert errors[0].message in html
    assert BAD_MONTH not in html
    assert VICTIM not in html
    assert "Roll back this import" in html
    assert "Import for real" not in html
    assert "feed-progress.js" not in html  # nothing left to follow


def test_an_administrator_reads_the_counts_but_no_case(
    admin_user, otp_client, source, upload
) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(admin_user)
    page = client.get(upload(client, source.slug).url)

    assert page.status_code == 200
    assert 'data-count="cases_opened">1<' in page.content.decode()
    assert list(page.context["cases"]) == []  # admins see no case content


def test_the_same_file_again_warns_and_counts_unchanged(
    supervisor, otp_client, source, upload
) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(supervisor)
    upload(client, source.slug)

    page = client.get(upload(client, source.slug).url)

    assert "was imported into this source before" in page.content.decode()
    assert ImportBatch.objects.order_by("pk").last().unchanged == 2


def test_an_upload_without_a_file_is_a_400_that_says_so(
    supervisor, otp_client, source, feeds_dir
) -> None:  # type: ignore[no-untyped-def]
    answer = otp_client(supervisor).post(f"/feeds/{source.slug}/imports/", {"dry_run": "on"})

    assert answer.status_code == 400
    assert "There is a problem" in answer.content.decode()
    assert not ImportBatch.objects.exists()
    assert not any(feeds_dir.iterdir())


def test_an_empty_file_is_a_400_and_nothing_is_kept(
    supervisor, otp_client, source, upload, feeds_dir
) -> None:  # type: ignore[no-untyped-def]
    answer = upload(otp_client(supervisor), source.slug, b"")

    assert answer.status_code == 400
    assert not ImportBatch.objects.exists()
    assert not any(feeds_dir.iterdir())


def test_a_switched_off_source_says_why(supervisor, otp_client, upload, helpline) -> None:  # type: ignore[no-untyped-def]
    off = make_source(helpline, slug="off-police", is_active=False)

    answer = upload(otp_client(supervisor), off.slug)

    assert answer.status_code == 400
    assert "switched off" in answer.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_errors_download_holds_every_kept_error(supervisor, otp_client, source, upload) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(supervisor)
    upload(client, source.slug)
    batch = ImportBatch.objects.get()

    download = client.get(f"/feeds/imports/{batch.pk}/errors.csv")

    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    lines = download.content.decode().splitlines()
    assert lines[0] == "row,field,message"
    assert lines[1].startswith("3,month,")
    assert BAD_MONTH not in download.content.decode()


def test_the_progress_url_answers_as_the_socket_does(supervisor, otp_client, source) -> None:  # type: ignore[no-untyped-def]
    batch = ImportBatch.objects.create(
        source=source, origin="upload", checksum="0" * 64, status=S.RUNNING, rows=0, rows_done=0
    )
    client = otp_client(supervisor)

    answer = client.get(f"/feeds/imports/{batch.pk}/progress/")

    assert answer.json() == {
        "type": "import.progress",
        "id": batch.pk,
        "status": "running",
        "rows_done": 0,
        "counts": {"rows": 0, "new": 0, "updated": 0, "unchanged": 0, "rejected": 0},
    }
    page = client.get(f"/feeds/imports/{batch.pk}/")
    assert "feed-progress.js" in page.content.decode()
    assert page.context["bar"] == {"max": None, "value": None, "text": "0 rows read so far."}
    assert f'data-progress-url="/feeds/imports/{batch.pk}/progress/"' in page.content.decode()


# Dry run, then for real --------------------------------------------------------------------------


def test_a_dry_run_offers_to_import_for_real(
    supervisor, otp_client, source, feeds_dir, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    # given: a finished dry run whose file is still kept
    stored = files.store(io.BytesIO(CSV), max_bytes=10**6)
    dry = ImportBatch.objects.create(
        source=source, origin="upload", dry_run=True, status=S.DONE, rows=3, new=2, rejected=1,
        stored_file=stored.name, checksum=stored.checksum, size=stored.size,
        file_name="october.csv",
    )  # fmt: skip
    client = otp_client(supervisor)
    page = client.get(f"/feeds/imports/{dry.pk}/")
    assert "Import for real" in page.content.decode()
    assert "Roll back this import" not in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/feeds/imports/{dry.pk}/import/")

    real = ImportBatch.objects.exclude(pk=dry.pk).get()
    assert sent.url == f"/feeds/imports/{real.pk}/"
    assert (real.dry_run, real.status, real.new, real.file_name) == (
        False,
        S.DONE,
        2,
        "october.csv",
    )
    assert real.checksum == dry.checksum
    assert FeedRecord.objects.count() == 2


def test_a_dry_run_whose_file_is_gone_asks_for_it_again(
    supervisor, otp_client, source, upload
) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(supervisor)
    dry = ImportBatch.objects.get(pk=_batch_id(upload(client, source.slug, dry_run=True)))
    files.discard(dry.stored_file)
    page = client.get(f"/feeds/imports/{dry.pk}/").content.decode()
    assert "choose it again on the source" in page
    assert "Import for real</button>" not in page

    sent = client.post(f"/feeds/imports/{dry.pk}/import/")

    assert sent.url == f"/feeds/{source.slug}/"
    assert "choose it again" in client.get(sent.url).content.decode()
    assert ImportBatch.objects.count() == 1
    assert not FeedRecord.objects.exists()


def _batch_id(response) -> int:  # type: ignore[no-untyped-def]
    return int(response.url.rstrip("/").rsplit("/", 1)[1])


# Rolling back --------------------------------------------------------------------------------------


def test_a_rollback_needs_a_reason_and_changes_nothing_without_one(
    supervisor, otp_client, source, upload
) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(supervisor)
    batch_id = _batch_id(upload(client, source.slug))

    answer = client.post(f"/feeds/imports/{batch_id}/rollback/", {"reason": "  "})

    assert answer.status_code == 400
    assert ImportBatch.objects.get().status == S.DONE
    assert FeedRecord.objects.count() == 2


def test_a_rollback_removes_what_the_import_added_and_says_who_and_why(
    supervisor, otp_client, source, upload
) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(supervisor)
    batch_id = _batch_id(upload(client, source.slug))

    sent = client.post(f"/feeds/imports/{batch_id}/rollback/", {"reason": "Made-up: wrong month"})

    assert sent.status_code == 302
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rolled_back_by, batch.rollback_reason) == (
        S.ROLLED_BACK, supervisor, "Made-up: wrong month",
    )  # fmt: skip
    assert not FeedRecord.objects.exists()
    assert Case.objects.count() == 1  # cases are never deleted
    page = client.get(sent.url).content.decode()
    assert "was rolled back" in page
    assert "1 case(s) it opened stay open" in page
    assert "Made-up: wrong month" in page
    assert "Roll back this import" not in page

    again = client.post(f"/feeds/imports/{batch_id}/rollback/", {"reason": "Made-up: twice"})

    assert again.status_code == 409
    assert "rolled back already" in again.content.decode()
    assert ImportBatch.objects.get().rollback_reason == "Made-up: wrong month"


def test_only_the_newest_import_can_be_rolled_back(supervisor, otp_client, source, upload) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(supervisor)
    first = _batch_id(upload(client, source.slug))
    upload(client, source.slug, CSV.replace(b"Oak Lane", b"Birch Lane"))

    answer = client.post(f"/feeds/imports/{first}/rollback/", {"reason": "Made-up reason"})

    assert answer.status_code == 409
    assert ImportBatch.objects.get(pk=first).status == S.DONE


def test_a_dry_run_uploaded_is_imported_for_real_from_the_file_it_checked(
    supervisor, otp_client, source, upload, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = otp_client(supervisor)
    dry = ImportBatch.objects.get(pk=_batch_id(upload(client, source.slug, dry_run=True)))
    assert (dry.status, dry.new, dry.rejected) == (S.DONE, 2, 1)
    assert not FeedRecord.objects.exists()
    assert "Import for real</button>" in client.get(f"/feeds/imports/{dry.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/feeds/imports/{dry.pk}/import/")

    real = ImportBatch.objects.exclude(pk=dry.pk).get()
    assert (real.status, real.new, real.rejected) == (S.DONE, 2, 1)
    assert FeedRecord.objects.count() == 2
    assert not files.path_of(real.stored_file).exists()  # an import's own file goes when done


def test_whoever_started_an_import_hears_when_it_ends_in_counts_only(
    supervisor, otp_client, source, upload
) -> None:  # type: ignore[no-untyped-def]
    from notifications.models import Notification

    batch_id = _batch_id(upload(otp_client(supervisor), source.slug))

    [told] = Notification.objects.filter(kind="feed.import_done", channel="in_app")
    assert told.recipient == supervisor
    assert told.text == (
        f"The import {batch_id} into Made-up Police made-up-police is done: "
        "2 new, 0 updated, 0 unchanged, 1 rejected."
    )
    assert "october" not in told.text
    assert VICTIM not in told.text


def test_a_dry_runs_file_is_deleted_once_it_has_waited_long_enough(
    supervisor, otp_client, source, upload, settings
) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    dry = ImportBatch.objects.get(
        pk=_batch_id(upload(otp_client(supervisor), source.slug, dry_run=True))
    )
    kept = files.path_of(dry.stored_file)
    assert kept.exists()
    assert files.sweep() == 0  # not yet

    later = timezone.now() + timedelta(hours=settings.FEED_DRY_RUN_KEEP_HOURS + 1)
    with time_machine.travel(later):
        assert files.sweep() == 1

    assert not kept.exists()
    dry.refresh_from_db()
    assert dry.stored_file == ""
