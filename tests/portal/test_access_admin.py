"""Portal accesses in the admin: a read-only list for superusers and helpline administrators, their
own helpline's only; nobody else gets in, and nothing is changed or deleted there (inviting,
revoking and unlocking are the case page's). Every name and number is made up."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from cases.models import Case
from portal.models import PortalAccess
from tests.factories import CaseFactory, StaffFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/portal/portalaccess/"


def client_for(user: User) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY

    if not TOTPDevice.objects.filter(user=user).exists():
        TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@pytest.fixture
def accesses(helpline, other_helpline) -> tuple[PortalAccess, PortalAccess]:
    ours = PortalAccess.objects.create(
        case=CaseFactory(helpline=helpline, status=Case.Status.VERIFIED),
        invitations_sent=2,
        duress_hash="made-up-duress-hash",
    )
    theirs = PortalAccess.objects.create(
        case=CaseFactory(helpline=other_helpline, status=Case.Status.VERIFIED)
    )
    return ours, theirs


def test_a_helpline_admin_lists_their_own_helplines_accesses_only(accesses, admin_user):
    ours, theirs = accesses
    client = client_for(admin_user)

    html = client.get(LIST).content.decode()

    assert ours.case.number in html
    assert theirs.case.number not in html
    assert client.get(f"{LIST}{ours.pk}/change/").status_code == 200
    assert client.get(f"{LIST}{theirs.pk}/change/").status_code in (302, 404)


def test_the_page_of_an_access_shows_no_secret(accesses, admin_user):
    ours, _ = accesses
    html = client_for(admin_user).get(f"{LIST}{ours.pk}/change/").content.decode()
    assert ours.case.number in html
    assert "made-up-duress-hash" not in html
    assert 'name="status"' not in html  # read-only: no field to post


def test_a_superuser_lists_every_helplines_accesses(accesses):
    ours, theirs = accesses
    root = User.objects.create_superuser("root", "root@lantern.invalid", "a made-up root")
    html = client_for(root).get(LIST).content.decode()
    assert ours.case.number in html
    assert theirs.case.number in html


def test_nothing_is_added_changed_or_deleted_here(accesses, admin_user):
    ours, _ = accesses
    client = client_for(admin_user)
    assert client.get(f"{LIST}add/").status_code == 403
    posted = client.post(f"{LIST}{ours.pk}/change/", {"status": "revoked"})
    assert posted.status_code == 403
    assert client.post(f"{LIST}{ours.pk}/delete/", {"post": "yes"}).status_code == 403
    ours.refresh_from_db()
    assert ours.status == PortalAccess.Status.ACTIVE
    assert PortalAccess.objects.filter(pk=ours.pk).exists()


@pytest.mark.parametrize("kind", ["cso", "monitor_org"])
def test_a_cso_or_monitor_admin_gets_nothing(kind, request, accesses):
    admin_user = StaffFactory(organisation=request.getfixturevalue(kind), role="admin")
    client = client_for(admin_user)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{accesses[0].pk}/change/").status_code in (302, 403)
    assert "Portal accesses" not in client.get("/admin/").content.decode()


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_casework_staff_never_get_in(role, helpline, accesses):
    client = client_for(StaffFactory(organisation=helpline, role=role))
    answer = client.get(LIST)
    assert answer.status_code == 302
    assert answer["Location"].startswith("/admin/login/")
