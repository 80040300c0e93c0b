"""Each helpline's ringing settings in the admin (live.admin): a helpline's administrator sees and
edits their own helpline's row only and cannot make one for another helpline; a CSO's
administrator and staff without the admin role never reach the page; a superuser sees all."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from live.models import LineSettings
from tests.accounts.test_admin import client_for, make_superuser
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
PAGE = "/admin/live/linesettings/"


def with_line_permissions(user: User) -> User:
    """The permissions accounts.roles gives an organisation's admin for line settings."""
    for action in ("view", "add", "change"):
        user.user_permissions.add(Permission.objects.get(codename=f"{action}_linesettings"))
    return User.objects.get(pk=user.pk)  # permissions are cached on the instance


@pytest.fixture
def rows(helpline, other_helpline) -> tuple[LineSettings, LineSettings]:
    own = LineSettings.objects.create(helpline=helpline, ring_seconds=25)
    other = LineSettings.objects.create(helpline=other_helpline, ring_seconds=40)
    return own, other


def test_a_helpline_admin_edits_their_own_helplines_row_only(
    admin_user, rows, other_helpline
) -> None:
    own, other = rows
    client = client_for(with_line_permissions(admin_user))

    listing = client.get(PAGE)
    assert listing.status_code == 200
    assert "North Helpline" in listing.content.decode()
    assert "South Helpline" not in listing.content.decode()
    assert client.get(f"{PAGE}{other.pk}/change/").status_code in (302, 403, 404)

    response = client.post(
        f"{PAGE}{own.pk}/change/",
        {"ring_mode": "in_turn", "ring_seconds": "30", "wrap_up_seconds": "60"},
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.ring_mode, own.ring_seconds, own.helpline_id) == (
        "in_turn",
        30,
        admin_user.organisation_id,
    )
    refused = client.post(
        f"{PAGE}{other.pk}/change/",
        {"ring_mode": "in_turn", "ring_seconds": "5", "wrap_up_seconds": "0"},
    )
    assert refused.status_code in (302, 403, 404)
    other.refresh_from_db()
    assert other.ring_seconds == 40
    assert client.get(f"{PAGE}{own.pk}/delete/").status_code == 403


def test_a_helpline_admin_cannot_add_settings_for_another_helpline(
    admin_user, other_helpline
) -> None:
    client = client_for(with_line_permissions(admin_user))

    response = client.post(
        f"{PAGE}add/",
        {
            "helpline": other_helpline.pk,
            "ring_mode": "in_turn",
            "ring_seconds": "30",
            "wrap_up_seconds": "60",
        },
    )

    assert response.status_code == 200  # the form again: not a choice they have
    assert not LineSettings.objects.exists()
    client.post(
        f"{PAGE}add/",
        {
            "helpline": admin_user.organisation_id,
            "ring_mode": "in_turn",
            "ring_seconds": "30",
            "wrap_up_seconds": "60",
        },
    )
    assert LineSettings.objects.get().helpline_id == admin_user.organisation_id


def test_a_cso_admin_and_an_operator_never_reach_line_settings(cso, operator, rows) -> None:
    cso_admin = with_line_permissions(StaffFactory(organisation=cso, role=User.Role.ADMIN))
    for user in (cso_admin, operator):
        client = client_for(user)
        assert client.get(PAGE).status_code in (302, 403), user.role
        assert client.get(f"{PAGE}{rows[0].pk}/change/").status_code in (302, 403, 404)


def test_a_superuser_sees_every_helplines_settings(rows) -> None:
    client: Client = client_for(make_superuser())
    page = client.get(PAGE).content.decode()
    assert "North Helpline" in page
    assert "South Helpline" in page
