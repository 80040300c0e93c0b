"""The admin walked as every role (issue 11 item 2, SECURITY AC-04): every registered model's list,
add, change, history, delete and password pages, as an operator, a supervisor, a CSO
representative, a monitor, an organisation's admin and a superuser.

- Staff without the admin role never get past the admin's own sign-in page.
- An organisation's admin reaches their own organisation and its staff only, never a superuser,
  and pages for what their role holds no permission for are refused.
- Nobody, a superuser included, sets superuser status, admin access, groups or permissions here.
- System-wide settings (lookups, update message types, deadlines, periodic jobs) are a superuser's
  and a helpline administrator's: a CSO's or a monitor's administrator reaches none of their pages.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_access import SystemWideAdmin
from accounts.models import ApiToken, Organisation, User
from accounts.services import issue_api_token
from cases.models import Category, Place
from feeds.models import ImportBatch, Partner
from feeds.sources import SourceSpec, save_source
from live.models import LineSettings
from notifications.models import CannedReply
from portal.models import UpdateType
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

ROLES = ["operator", "supervisor", "cso_rep", "monitor", "admin", "superuser"]
SECURITY_FIELDS = ["is_superuser", "is_staff", "groups", "user_permissions"]
# What holds for every organisation at once (accounts.admin_access).
SYSTEM_WIDE = {
    "cases.Area",
    "cases.Category",
    "cases.ContactType",
    "cases.DiscardReason",
    "cases.Flag",
    "cases.FollowUpKind",
    "cases.Language",
    "cases.PriorityTarget",
    "cases.ReferenceType",
    "cases.Relationship",
    "cases.ServiceType",
    "cases.Place",
    "feeds.FeedSource",
    "feeds.ImportBatch",
    "feeds.Partner",
    "feeds.PartnerEventType",
    "live.LineSettings",
    "notifications.CannedReply",
    "portal.UpdateType",
    "privacy.RetentionRule",
    "portal.Article",
    "portal.ArticleTag",
    "risk.Questionnaire",
    "django_celery_beat.CrontabSchedule",
    "django_celery_beat.IntervalSchedule",
    "django_celery_beat.PeriodicTask",
}


def make_superuser(username: str = "root") -> User:
    """As `manage.py createsuperuser` makes one: no organisation, no role."""
    user = User.objects.create_superuser(username, f"{username}@lantern.invalid", "a made-up root")
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


@pytest.fixture
def people(helpline, other_helpline, cso, monitor_org) -> dict[str, User]:
    return {
        "operator": StaffFactory(organisation=helpline, role="operator"),
        "supervisor": StaffFactory(organisation=helpline, role="supervisor"),
        "cso_rep": StaffFactory(organisation=cso, role="cso_rep"),
        "monitor": StaffFactory(organisation=monitor_org, role="monitor"),
        "admin": StaffFactory(username="ada", organisation=helpline, role="admin"),
        "superuser": make_superuser(),
        # whom the walk aims at
        "colleague": StaffFactory(username="colleague", organisation=helpline, role="operator"),
        "stranger": StaffFactory(username="stranger", organisation=other_helpline, role="admin"),
    }


def one_of_each(people: dict[str, User]) -> dict[type[models.Model], models.Model]:
    """A row of every registered model, so every change page has something to open."""
    issue_api_token(user=people["stranger"])
    issue_api_token(user=people["colleague"])
    AccessAttempt.objects.create(
        username="colleague", ip_address="203.0.113.9", user_agent="test", failures_since_start=1
    )
    source, _ = save_source(
        SourceSpec(
            slug="made-up-police",
            name="Made-up Police",
            profile={"format": "csv", "columns": {"crime_reference": "Crime ID", "month": "Month"}},
            helpline=people["colleague"].organisation,
        ),
        actor=None,
    )
    ImportBatch.objects.create(source=source, origin="upload", checksum="0" * 64)
    Partner.objects.create(
        slug="made-up-crime-system", name="Made-up crime system", secret="x" * 32
    )
    Place.objects.create(uprn="900000000001", address="1 Made-up Row", postcode="ZZ1 1ZZ")
    LineSettings.objects.create(helpline=people["colleague"].organisation)
    CannedReply.objects.create(shortcut="made-up", title="Made-up", text="Made-up words.")
    return {model: model._default_manager.first() for model in admin.site._registry}


def admin_pages(rows: dict[type[models.Model], models.Model]) -> Iterator[tuple[str, str, str]]:
    """(model label, page, url) for every page of every registered model."""
    yield "", "index", reverse("admin:index")
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        label = model._meta.label
        yield label, "app", reverse("admin:app_list", args=[model._meta.app_label])
        yield label, "changelist", reverse(f"{info}_changelist")
        yield label, "add", reverse(f"{info}_add")
        row = rows.get(model)
        if row is not None:
            for page in ("change", "history", "delete"):
                yield label, page, reverse(f"{info}_{page}", args=[row.pk])


def client_for(user: User) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@pytest.mark.parametrize("role", ["operator", "supervisor", "cso_rep", "monitor"])
def test_staff_without_the_admin_role_never_get_in(role, people) -> None:
    client = client_for(people[role])
    for _, page, url in admin_pages(one_of_each(people)):
        answer = client.get(url)
        assert answer.status_code == 302, (page, url)
        assert answer["Location"].startswith("/admin/login/"), (page, url)


def test_the_superuser_reaches_every_page_and_nothing_errs(people) -> None:
    client = client_for(people["superuser"])
    for label, page, url in admin_pages(one_of_each(people)):
        answer = client.get(url)
        assert answer.status_code in (200, 302, 403), (label, page, url, answer.status_code)
        if page in ("index", "app", "changelist"):
            assert answer.status_code == 200, (label, page, url)


def test_an_organisation_admin_walks_only_their_own_organisation(people, helpline) -> None:
    admin_user = people["admin"]
    client = client_for(admin_user)
    rows = one_of_each(people)
    for label, page, url in admin_pages(rows):
        answer = client.get(url)
        assert answer.status_code != 500, (label, page, url)
        if not label:
            continue
        app_label, model_name = label.lower().split(".")
        may_view = admin_user.has_perm(f"{app_label}.view_{model_name}") or admin_user.has_perm(
            f"{app_label}.change_{model_name}"
        )
        if not may_view and page != "app":
            assert answer.status_code in (403, 404), (label, page, url, answer.status_code)
        if page == "delete":
            assert answer.status_code in (302, 403), (label, page, url)  # nobody of theirs deletes

    # the lists hold their own organisation and its staff only, never a superuser
    staff_list = client.get("/admin/accounts/user/").content.decode()
    assert "colleague" in staff_list
    assert "stranger" not in staff_list
    assert "root" not in staff_list
    organisations = client.get("/admin/accounts/organisation/").content.decode()
    assert "North Helpline" in organisations
    assert "South Helpline" not in organisations
    tokens = client.get("/admin/accounts/apitoken/").content.decode()
    assert "colleague" in tokens
    assert "stranger" not in tokens

    # pages of anyone else's rows are not there for them
    for target in ("stranger", "superuser"):
        pk = people[target].pk
        for url in (
            f"/admin/accounts/user/{pk}/change/",
            f"/admin/accounts/user/{pk}/history/",
            f"/admin/accounts/user/{pk}/password/",
        ):
            answer = client.get(url)
            assert answer.status_code != 200, url
    other = people["stranger"].organisation
    for url in (
        f"/admin/accounts/organisation/{other.pk}/change/",
        f"/admin/accounts/organisation/{other.pk}/history/",
    ):
        assert client.get(url).status_code != 200, url
    assert client.get("/admin/accounts/organisation/add/").status_code == 403

    # their own staff: yes, and the form has no security field
    page = client.get(f"/admin/accounts/user/{people['colleague'].pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for field in SECURITY_FIELDS:
        assert f'name="{field}"' not in html
    assert 'name="organisation"' not in html
    # only the roles a helpline has are offered
    assert 'value="operator"' in html
    assert 'value="cso_rep"' not in html
    assert 'value="monitor"' not in html


@pytest.mark.parametrize("role", ["admin", "superuser"])
def test_no_form_in_the_admin_sets_superuser_groups_or_permissions(role, people) -> None:
    client = client_for(people[role])
    for url in (
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{people['colleague'].pk}/change/",
        f"/admin/accounts/user/{people[role].pk}/change/",
    ):
        html = client.get(url).content.decode()
        for field in SECURITY_FIELDS:
            assert f'name="{field}"' not in html, (url, field)
    assert client.get("/admin/auth/group/").status_code == 404  # roles are code
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404  # secrets
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404  # plain-text codes


def change_data(user: User, **changes: object) -> dict[str, object]:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "phone": "",
        "organisation": user.organisation_id or "",
        "role": user.role,
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_an_admin_manages_their_own_staff_through_the_role(people, helpline) -> None:
    client = client_for(people["admin"])
    colleague = people["colleague"]

    answer = client.post(
        f"/admin/accounts/user/{colleague.pk}/change/", change_data(colleague, role="supervisor")
    )

    assert answer.status_code == 302
    colleague.refresh_from_db()
    assert colleague.role == "supervisor"
    assert list(colleague.groups.values_list("name", flat=True)) == ["supervisor"]
    assert colleague.history.latest().history_user == people["admin"]

    added = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newcomer",
            "password1": "a made-up passphrase 1",
            "password2": "a made-up passphrase 1",
            "role": "operator",
            "email": "newcomer@lantern.invalid",
            "phone": "",
        },
    )
    assert added.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert newcomer.organisation == helpline  # their own organisation, whatever is posted
    assert newcomer.role == "operator"
    assert not newcomer.is_staff
    assert not newcomer.is_superuser


def test_a_superuser_makes_staff_of_any_organisation_with_its_roles_only(people, cso) -> None:
    client = client_for(people["superuser"])
    colleague = people["colleague"]

    wrong = client.post(
        f"/admin/accounts/user/{colleague.pk}/change/",
        change_data(colleague, organisation=cso.pk, role="operator"),
    )
    assert wrong.status_code == 200  # a CSO has no operators
    right = client.post(
        f"/admin/accounts/user/{colleague.pk}/change/",
        change_data(colleague, organisation=cso.pk, role="cso_rep", is_superuser="on"),
    )
    assert right.status_code == 302
    colleague.refresh_from_db()
    assert (colleague.organisation, colleague.role) == (cso, "cso_rep")
    assert not colleague.is_superuser


def test_history_pages_never_write_an_old_version_back(people) -> None:
    client = client_for(people["admin"])
    colleague = people["colleague"]
    version = colleague.history.earliest()
    url = f"/admin/accounts/user/{colleague.pk}/history/{version.history_id}/"
    assert client.get(url).status_code == 200
    assert client.post(url, change_data(colleague)).status_code == 403


def test_revoking_tokens_and_unlocking_from_the_staff_list(people) -> None:
    client = client_for(people["admin"])
    colleague, stranger = people["colleague"], people["stranger"]
    issue_api_token(user=colleague)
    issue_api_token(user=stranger)
    AccessAttempt.objects.create(
        username=colleague.username,
        ip_address="203.0.113.9",
        user_agent="t",
        failures_since_start=9,
    )
    AccessAttempt.objects.create(
        username=stranger.username, ip_address="203.0.113.9", user_agent="t", failures_since_start=9
    )

    for action in ("revoke_tokens_action", "unlock_sign_in_action"):
        answer = client.post(
            "/admin/accounts/user/",
            # the stranger's id is posted too: the admin's own list decides, not the request
            {"action": action, "_selected_action": [colleague.pk, stranger.pk]},
        )
        assert answer.status_code == 302

    assert not ApiToken.objects.filter(user=colleague, revoked_at__isnull=True).exists()
    assert ApiToken.objects.filter(user=stranger, revoked_at__isnull=True).exists()
    assert not AccessAttempt.objects.filter(username=colleague.username).exists()
    assert AccessAttempt.objects.filter(username=stranger.username).exists()


def test_the_admin_role_holds_no_case_permission_and_cannot_add_organisations() -> None:
    permissions = set(
        Permission.objects.filter(group=Group.objects.get(name="admin")).values_list(
            "content_type__app_label", "codename"
        )
    )
    assert ("accounts", "add_organisation") not in permissions
    assert not {codename for _, codename in permissions} & {
        "view_case",
        "view_identities",
        "work_case",
        "supervise_case",
        "view_figures",
        "respond_referral",
        "log_service",
    }


def test_an_organisation_admin_cannot_move_or_reshape_their_organisation(people, helpline) -> None:
    client = client_for(people["admin"])
    answer = client.post(
        f"/admin/accounts/organisation/{helpline.pk}/change/",
        {"name": "Renamed", "slug": "elsewhere", "kind": "monitor", "phone_number": ""},
    )
    assert answer.status_code == 302
    helpline.refresh_from_db()
    assert (helpline.name, helpline.slug, helpline.kind, helpline.is_active) == (
        "Renamed",
        "north-helpline",
        Organisation.Kind.HELPLINE,
        True,
    )


def test_two_organisations_never_share_a_number(people, helpline, other_helpline) -> None:
    other_helpline.phone_number = "+447700900001"
    other_helpline.save()
    client = client_for(people["admin"])
    answer = client.post(
        f"/admin/accounts/organisation/{helpline.pk}/change/",
        {"name": helpline.name, "phone_number": "+447700900001"},
    )
    assert answer.status_code == 200
    assert "already has this number" in answer.content.decode()
    helpline.refresh_from_db()
    assert helpline.phone_number == ""


def test_no_history_page_of_any_model_writes_an_old_version_back(people) -> None:
    """simple_history's revert saves a whole old row (an old organisation, a blank password),
    outside the form and the services: refused on every model, even for a superuser."""
    client = client_for(people["superuser"])
    rows = one_of_each(people)
    checked = []
    for model, model_admin in admin.site._registry.items():
        row = rows.get(model)
        if not isinstance(model_admin, SimpleHistoryAdmin) or row is None:
            continue
        if not row.history.exists():
            row.save()  # rows seeded by a migration have no history yet
        version = row.history.first()
        url = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
            args=[row.pk, version.history_id],
        )
        assert client.get(url).status_code == 200, url
        assert client.post(url, {}).status_code == 403, url
        checked.append(model._meta.label)
    assert {"accounts.User", "accounts.Organisation", "cases.Category"} <= set(checked)


def system_wide_labels() -> set[str]:
    return {
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SystemWideAdmin)
    }


def test_the_system_wide_pages_are_the_ones_expected() -> None:
    # a page losing its guard (or a new system-wide one without it) shows here first
    assert system_wide_labels() == SYSTEM_WIDE


@pytest.mark.parametrize("kind", ["cso", "monitor_org"])
def test_a_cso_or_monitor_admin_walks_no_system_wide_page(kind, request, people) -> None:
    """They hold the admin role, for their own staff: every page of what holds for every
    organisation is refused (list, add, change, history, delete), and none is offered to them."""
    organisation = request.getfixturevalue(kind)
    admin_user = StaffFactory(organisation=organisation, role="admin")
    client = client_for(admin_user)
    rows = one_of_each(people)
    assert {m._meta.label for m in rows if rows[m] is not None} >= SYSTEM_WIDE  # every page walked
    walked = set()
    for label, page, url in admin_pages(rows):
        answer = client.get(url)
        assert answer.status_code != 500, (label, page, url)
        if label in SYSTEM_WIDE and page != "app":
            assert answer.status_code == 403, (label, page, url, answer.status_code)
            walked.add((label, page))
    assert {page for _, page in walked} == {"changelist", "add", "change", "history", "delete"}
    # nor does a write get through
    before = Category.objects.count()
    added = client.post(
        "/admin/cases/category/add/",
        {"label": "Made-up category", "code": "made-up", "is_active": "on", "position": 1},
    )
    assert added.status_code == 403
    assert Category.objects.count() == before
    update_type = UpdateType.objects.get(code="case_closed")
    changed = client.post(
        f"/admin/portal/updatetype/{update_type.pk}/change/",
        {
            "name": "Made-up: call us back at once",
            "trigger": update_type.trigger,
            "event": update_type.event,
            "channels": ["sms"],
            "position": 1,
            "texts-TOTAL_FORMS": "0",
            "texts-INITIAL_FORMS": "0",
        },
    )
    assert changed.status_code == 403
    update_type.refresh_from_db()
    assert update_type.name != "Made-up: call us back at once"
    index = client.get("/admin/").content.decode()
    for name in ("Categories", "Update types", "Periodic tasks", "Deadlines by priority"):
        assert name not in index
    # their own staff, and their organisation's alert defaults, they still reach
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/notifications/alertdefault/").status_code == 200


@pytest.mark.parametrize("who", ["admin", "superuser"])
def test_a_helpline_admin_and_a_superuser_reach_every_system_wide_page(who, people) -> None:
    client = client_for(people[who])
    rows = one_of_each(people)
    for label, page, url in admin_pages(rows):
        if label not in SYSTEM_WIDE or page == "delete":
            continue  # nothing system-wide is deleted by the admin role (retired or disabled)
        answer = client.get(url)
        if page == "add" and label in (
            "cases.PriorityTarget",  # a row per priority, there since migrate
            "django_celery_beat.PeriodicTask",  # shipped jobs only, seeded by migrate
            "cases.Place",  # the gazetteer comes from imports (feeds), only corrected here
            "feeds.ImportBatch",  # made by importing a file (feeds pages, API, import_feed)
            "feeds.Partner",  # made by create_partner, which prints the secret once
            "privacy.RetentionRule",  # a row per category, there since migrate
        ):
            continue
        assert answer.status_code == 200, (label, page, url, answer.status_code)
    index = client.get("/admin/").content.decode()
    for name in ("Categories", "Update types", "Periodic tasks", "Deadlines by priority"):
        assert name in index
