"""The feeds' admin pages (feeds/admin.py): a source's profile edited as JSON and checked with every
problem shown, saved through feeds.sources (versions, history, the pull job); import batches and
partners read-only, partners without their secrets; partner event types edited as a list. All of
it system-wide configuration (accounts.admin_access): refused to a CSO's administrator."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_celery_beat.models import PeriodicTask
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from feeds.models import FeedSource, ImportBatch, Partner, PartnerEventType, RowError
from feeds.sources import SourceSpec, save_source
from tests.factories import StaffFactory
from tests.feeds.conftest import shipped_profile

pytestmark = pytest.mark.django_db

SOURCES = "/admin/feeds/feedsource/"
SECRET = "made-up-partner-secret-0f3a9c"
PREVIOUS_SECRET = "made-up-old-secret-77b2e1"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@pytest.fixture
def root(db: None) -> User:
    user = User.objects.create_superuser("root", "root@lantern.invalid", "a made-up root")
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


@pytest.fixture
def source(helpline) -> FeedSource:
    spec = SourceSpec(
        slug="city-police",
        name="City Police",
        profile=shipped_profile("police-uk-street"),
        helpline=helpline,
    )
    return save_source(spec, actor=None)[0]


@pytest.fixture
def batch(source) -> ImportBatch:
    batch = ImportBatch.objects.create(
        source=source,
        origin=ImportBatch.Origin.UPLOAD,
        status=ImportBatch.Status.DONE,
        file_name="2017-01-street.csv",
        stored_file="/var/feeds/abc123",
        checksum="a" * 64,
        rows=10,
        new=6,
        updated=2,
        unchanged=1,
        rejected=1,
    )
    RowError.objects.create(batch=batch, row=7, field="month", message="Not a month.")
    return batch


@pytest.fixture
def partner(helpline) -> Partner:
    return Partner.objects.create(
        slug="city-crime-system",
        name="City crime system",
        url="https://crime.example/hooks",
        helpline=helpline,
        secret=SECRET,
        previous_secret=PREVIOUS_SECRET,
    )


def form_data(helpline, **changes: object) -> dict[str, object]:
    data = {
        "slug": "met-police",
        "name": "Metropolitan Police",
        "kind": "crimes",
        "helpline": helpline.pk,
        "profile": json.dumps(shipped_profile("police-uk-street")),
        "watch_folder": "",
        "pull_url": "",
        "pull_every_minutes": "",
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_a_source_is_added_with_its_profile_as_json(root, helpline) -> None:
    client = signed_in(root)
    assert client.get(f"{SOURCES}add/").status_code == 200

    answer = client.post(
        f"{SOURCES}add/",
        form_data(helpline, watch_folder="/srv/feeds/met", pull_every_minutes="10"),
    )

    assert answer.status_code == 302, answer.content.decode()[:2000]
    source = FeedSource.objects.get(slug="met-police")
    assert source.profile == shipped_profile("police-uk-street")
    assert source.profile_version == 1
    version = source.history.get()
    assert (version.history_user, version.history_change_reason) == (root, "Source created")
    assert PeriodicTask.objects.get(name="Pull feed met-police").enabled


def test_a_changed_profile_is_the_next_version(root, helpline, source) -> None:
    client = signed_in(root)
    page = client.get(f"{SOURCES}{source.pk}/change/").content.decode()
    assert 'name="slug"' not in page  # fixed once made
    assert "&quot;crime_reference&quot;: &quot;Crime ID&quot;" in page  # indented JSON text

    profile = {**shipped_profile("police-uk-street"), "encoding": "cp1252"}
    answer = client.post(
        f"{SOURCES}{source.pk}/change/",
        form_data(helpline, slug="ignored", name="City Police", profile=json.dumps(profile)),
    )

    assert answer.status_code == 302
    source.refresh_from_db()
    assert (source.slug, source.profile_version, source.profile["encoding"]) == (
        "city-police",
        2,
        "cp1252",
    )
    latest = source.history.first()
    assert latest.history_user == root
    assert latest.history_change_reason == "Changed: profile (version 2)"
    history = client.get(f"{SOURCES}{source.pk}/history/")
    assert history.status_code == 200
    assert "Changed: profile (version 2)" in history.content.decode()


def test_every_problem_of_a_profile_is_shown_and_nothing_saved(root, helpline, source) -> None:
    client = signed_in(root)
    bad = {"format": "pdf", "skip_row": 1, "columns": {"month": "Month"}}

    answer = client.post(
        f"{SOURCES}{source.pk}/change/", form_data(helpline, profile=json.dumps(bad))
    )

    assert answer.status_code == 200
    html = answer.content.decode()
    assert "&quot;format&quot; must be one of" in html
    assert "&quot;skip_row&quot; is not a profile setting" in html
    assert "crime_reference" in html
    source.refresh_from_db()
    assert (source.profile_version, source.history.count()) == (1, 1)


def test_text_that_is_not_json_comes_back_as_typed(root, helpline) -> None:
    client = signed_in(root)
    answer = client.post(f"{SOURCES}add/", form_data(helpline, profile='{"format": "csv",'))
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Enter a valid JSON" in html
    assert "{&quot;format&quot;: &quot;csv&quot;,</textarea>" in html
    assert not FeedSource.objects.exists()


def test_an_http_address_is_refused_on_the_form(root, helpline) -> None:
    client = signed_in(root)
    answer = client.post(
        f"{SOURCES}add/",
        form_data(helpline, pull_url="http://force.example/a.csv", pull_every_minutes="60"),
    )
    assert answer.status_code == 200
    assert "must start with https://" in answer.content.decode()
    assert not FeedSource.objects.exists()


def test_sources_are_retired_not_deleted(root, source) -> None:
    client = signed_in(root)
    assert client.get(f"{SOURCES}{source.pk}/delete/").status_code == 403


def test_import_batches_are_read_only_with_their_counts(root, batch) -> None:
    client = signed_in(root)
    listing = client.get("/admin/feeds/importbatch/").content.decode()
    assert "2017-01-street.csv" in listing
    page = client.get(f"/admin/feeds/importbatch/{batch.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Not a month." in html
    assert "/var/feeds/abc123" not in html
    assert 'name="_save"' not in html

    assert client.get("/admin/feeds/importbatch/add/").status_code == 403
    assert client.get(f"/admin/feeds/importbatch/{batch.pk}/delete/").status_code == 403
    answer = client.post(f"/admin/feeds/importbatch/{batch.pk}/change/", {"status": "failed"})
    assert answer.status_code == 403
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE


def test_partners_are_shown_without_their_secrets(root, partner) -> None:
    client = signed_in(root)
    partner.name = "City crime system (renamed)"
    partner.save()
    for url in (
        "/admin/feeds/partner/",
        f"/admin/feeds/partner/{partner.pk}/change/",
        f"/admin/feeds/partner/{partner.pk}/history/",
        f"/admin/feeds/partner/{partner.pk}/history/{partner.history.first().history_id}/",
    ):
        answer = client.get(url)
        assert answer.status_code == 200, url
        html = answer.content.decode()
        assert "City crime system" in html, url
        assert SECRET not in html, url
        assert PREVIOUS_SECRET not in html, url
    assert client.get("/admin/feeds/partner/add/").status_code == 403
    assert client.get(f"/admin/feeds/partner/{partner.pk}/delete/").status_code == 403
    answer = client.post(f"/admin/feeds/partner/{partner.pk}/change/", {"name": "Changed"})
    assert answer.status_code == 403


def test_partner_event_types_are_an_edited_list(root) -> None:
    client = signed_in(root)
    answer = client.post(
        "/admin/feeds/partnereventtype/add/",
        {
            "code": "bail_conditions_changed",
            "label": "Bail conditions changed",
            "is_active": "on",
            "position": 2,
        },
    )
    assert answer.status_code == 302
    kind = PartnerEventType.objects.get(code="bail_conditions_changed")
    assert kind.label == "Bail conditions changed"
    assert kind.history.get().history_user == root
    assert client.get(f"/admin/feeds/partnereventtype/{kind.pk}/delete/").status_code == 403


def test_a_cso_admin_reaches_none_of_it(cso, source, batch, partner) -> None:
    client = signed_in(StaffFactory(organisation=cso, role=User.Role.ADMIN))
    kind = PartnerEventType.objects.create(code="made_up_event", label="A made-up event")
    for url in (
        SOURCES,
        f"{SOURCES}add/",
        f"{SOURCES}{source.pk}/change/",
        f"{SOURCES}{source.pk}/history/",
        "/admin/feeds/importbatch/",
        f"/admin/feeds/importbatch/{batch.pk}/change/",
        "/admin/feeds/partner/",
        f"/admin/feeds/partner/{partner.pk}/change/",
        "/admin/feeds/partnereventtype/",
        f"/admin/feeds/partnereventtype/{kind.pk}/change/",
    ):
        assert client.get(url).status_code == 403, url
    answer = client.post(f"{SOURCES}{source.pk}/change/", {"name": "Taken over"})
    assert answer.status_code == 403
    source.refresh_from_db()
    assert source.name == "City Police"


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_helpline_staff_without_the_admin_role_never_get_in(role, helpline, source) -> None:
    client = signed_in(StaffFactory(organisation=helpline, role=role))
    answer = client.get(f"{SOURCES}{source.pk}/change/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/admin/login/")
