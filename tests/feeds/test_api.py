"""The feeds API (CONTRACT "Police and partner feeds"): POST /api/v1/feeds/{slug}/imports/ with a
multipart `file` (and `dry_run`) answers 202 {"id", "status"}; GET /api/v1/feeds/imports/{id}/
gives the status, the counts and the rejected rows (row, field, message: never the value). Bad
input is a 400 that stores nothing; a source or batch the caller may not manage is a 404, as any
record they may not see. Celery is eager here: by the time the POST answers, the batch has run."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import Organisation, User
from accounts.services import issue_api_token
from cases.models import Case
from feeds.models import FeedRecord, FeedSource, ImportBatch
from tests.factories import StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_dir")]

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
# Made-up people; the phone is from Ofcom's drama range. Row 3 has a month that is no month.
VICTIM = "Ottilie Quernbrook"
BAD_MONTH = "2026-13"
ROWS = [
    f"AP-1,2026-10,Made-up Police,Burglary,On or near Elm Row,{VICTIM},07700 900461",
    f"AP-2,{BAD_MONTH},Made-up Police,Burglary,On or near Oak Lane,,",
    "AP-3,2026-10,Made-up Police,Other theft,On or near Ash Close,,",
]
CSV = ("\n".join([HEADER, *ROWS]) + "\n").encode()


def make_source(helpline: Organisation | None, slug: str = "made-up-police", **extra) -> FeedSource:  # type: ignore[no-untyped-def]
    return FeedSource.objects.create(
        slug=slug, name="Made-up Police", helpline=helpline, profile=PROFILE, **extra
    )


def api(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


@pytest.fixture
def send(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """POST a file as the client; the import queued on commit runs (Celery is eager here)."""

    def post(client: APIClient, slug: str, content: bytes | None = CSV, **fields: str):  # type: ignore[no-untyped-def]
        data: dict[str, object] = dict(fields)
        if content is not None:
            data["file"] = SimpleUploadedFile("october.csv", content, content_type="text/csv")
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/api/v1/feeds/{slug}/imports/", data, format="multipart")

    return post


def nothing_stored(feeds_dir: Path) -> bool:
    return not ImportBatch.objects.exists() and not any(feeds_dir.iterdir())


# Importing -----------------------------------------------------------------------------------------


def test_a_file_is_accepted_with_202_and_its_report_follows(send, supervisor, feeds_dir) -> None:  # type: ignore[no-untyped-def]
    source = make_source(supervisor.organisation)
    client = api(supervisor)

    answer = send(client, source.slug)

    assert answer.status_code == 202, answer.content
    batch = ImportBatch.objects.get()
    assert answer.json() == {"id": batch.pk, "status": "queued"}
    assert (batch.origin, batch.started_by, batch.file_name) == ("api", supervisor, "october.csv")

    report = client.get(f"/api/v1/feeds/imports/{batch.pk}/")

    assert report.status_code == 200
    body = report.json()
    assert body["id"] == batch.pk
    assert body["status"] == "done"
    assert body["counts"] == {"rows": 3, "new": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert body["errors"] == [{"row": 3, "field": "month", "message": body["errors"][0]["message"]}]
    assert body["errors"][0]["message"]
    assert BAD_MONTH not in report.content.decode()
    assert VICTIM not in report.content.decode()
    assert (body["source"], body["dry_run"], body["cases_opened"]) == (source.slug, False, 1)
    assert FeedRecord.objects.filter(source=source).count() == 2


def test_the_same_file_again_is_all_unchanged(send, supervisor) -> None:  # type: ignore[no-untyped-def]
    source = make_source(supervisor.organisation)
    client = api(supervisor)
    send(client, source.slug)

    again = send(client, source.slug)

    body = client.get(f"/api/v1/feeds/imports/{again.json()['id']}/").json()
    assert body["counts"] == {"rows": 3, "new": 0, "updated": 0, "unchanged": 2, "rejected": 1}
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("value", "dry"),
    [
        ("true", True),
        ("1", True),
        ("True", True),
        ("on", True),
        ("false", False),
        ("0", False),
        ("False", False),
    ],
)
def test_dry_run_counts_and_writes_nothing(send, value: str, dry: bool, supervisor) -> None:  # type: ignore[no-untyped-def]
    source = make_source(supervisor.organisation)
    client = api(supervisor)

    answer = send(client, source.slug, dry_run=value)

    assert answer.status_code == 202
    body = client.get(f"/api/v1/feeds/imports/{answer.json()['id']}/").json()
    assert body["dry_run"] is dry
    assert body["counts"] == {"rows": 3, "new": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert [e["row"] for e in body["errors"]] == [3]
    assert FeedRecord.objects.exists() is not dry
    assert Case.objects.exists() is not dry


def test_an_administrator_of_the_helpline_may_import(send, admin_user) -> None:  # type: ignore[no-untyped-def]
    source = make_source(admin_user.organisation)

    assert send(api(admin_user), source.slug).status_code == 202


# Bad input: 400, nothing stored ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fields", "field"),
    [
        (None, {}, "file"),  # no file
        (b"", {}, "file"),  # an empty file
        (CSV, {"dry_run": "yes please"}, "dry_run"),
        (CSV, {"dry_run": "tr\x00ue"}, "dry_run"),
    ],
    ids=["no-file", "empty-file", "unknown-dry-run", "nul-in-dry-run"],
)
def test_bad_input_is_a_400_and_stores_nothing(
    send, content, fields, field, supervisor, feeds_dir
) -> None:  # type: ignore[no-untyped-def]
    source = make_source(supervisor.organisation)

    answer = send(api(supervisor), source.slug, content, **fields)

    assert answer.status_code == 400
    assert list(answer.json()) == [field]
    assert answer.json()[field][0]
    assert nothing_stored(feeds_dir)


def test_a_file_over_the_limit_is_a_400_that_says_the_limit(
    send, supervisor, feeds_dir, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.FEED_MAX_FILE_MB = 1
    source = make_source(supervisor.organisation)

    answer = send(api(supervisor), source.slug, CSV + b"x" * (1024 * 1024))

    assert answer.status_code == 400
    assert "1 MB" in answer.json()["file"][0]
    assert nothing_stored(feeds_dir)


def test_a_switched_off_source_refuses_with_the_reason(send, supervisor, feeds_dir) -> None:  # type: ignore[no-untyped-def]
    source = make_source(supervisor.organisation, is_active=False)

    answer = send(api(supervisor), source.slug)

    assert answer.status_code == 400
    assert "switched off" in answer.json()["file"][0]
    assert nothing_stored(feeds_dir)


def test_a_json_body_is_refused(supervisor) -> None:  # type: ignore[no-untyped-def]
    source = make_source(supervisor.organisation)

    answer = api(supervisor).post(f"/api/v1/feeds/{source.slug}/imports/", {}, format="json")

    assert answer.status_code == 415
    assert not ImportBatch.objects.exists()


def test_the_file_name_keeps_its_last_part_only(supervisor) -> None:  # type: ignore[no-untyped-def]
    source = make_source(supervisor.organisation)
    upload = SimpleUploadedFile("C:\\exports\\police\x07\\oct\x00ober.csv", CSV)

    answer = api(supervisor).post(
        f"/api/v1/feeds/{source.slug}/imports/", {"file": upload}, format="multipart"
    )

    assert answer.status_code == 202
    assert ImportBatch.objects.get().file_name == "october.csv"


# Who may ---------------------------------------------------------------------------------------------


@pytest.fixture
def other_supervisor(other_helpline: Organisation) -> User:
    return StaffFactory(username="sam", organisation=other_helpline, role=User.Role.SUPERVISOR)


@pytest.mark.parametrize("who", ["operator", "cso_rep", "monitor", "other_supervisor"])
def test_those_who_may_not_manage_the_source_get_404_both_ways(
    send, who, request, supervisor
) -> None:  # type: ignore[no-untyped-def]
    source = make_source(supervisor.organisation)
    batch = ImportBatch.objects.get(pk=send(api(supervisor), source.slug).json()["id"])
    client = api(request.getfixturevalue(who))

    assert send(client, source.slug).status_code == 404
    assert client.get(f"/api/v1/feeds/imports/{batch.pk}/").status_code == 404
    assert ImportBatch.objects.count() == 1


def test_an_unknown_source_or_batch_is_404(send, supervisor) -> None:  # type: ignore[no-untyped-def]
    client = api(supervisor)

    assert send(client, "no-such-source").status_code == 404
    assert client.get("/api/v1/feeds/imports/4242/").status_code == 404
    assert client.get(f"/api/v1/feeds/imports/{2**70}/").status_code == 404
    assert not ImportBatch.objects.exists()


def test_a_places_batch_is_visible_to_every_helplines_supervisors(
    supervisor, other_supervisor, operator
) -> None:  # type: ignore[no-untyped-def]
    places = make_source(None, slug="gazetteer", kind=FeedSource.Kind.PLACES)
    batch = ImportBatch.objects.create(source=places, origin="command", checksum="0" * 64)

    for user in (supervisor, other_supervisor):
        assert api(user).get(f"/api/v1/feeds/imports/{batch.pk}/").status_code == 200
    assert api(operator).get(f"/api/v1/feeds/imports/{batch.pk}/").status_code == 404


def test_without_a_token_it_is_401(send, supervisor) -> None:  # type: ignore[no-untyped-def]
    source = make_source(supervisor.organisation)

    answer = send(APIClient(), source.slug)

    assert answer.status_code == 401
    assert not ImportBatch.objects.exists()
