"""Admins write and vet canned replies (notifications.admin.CannedReplyAdmin): only the two
placeholders may be in braces (the admin sees what is wrong), a helpline's administrator writes
their own helpline's and reads the shared ones, which a superuser writes; another helpline's are
out of sight, and a CSO's administrator has no say in what helpline staff tell victims."""

from __future__ import annotations

import pytest

from accounts.models import Organisation, User
from notifications.models import CannedReply
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/notifications/cannedreply/"
ADD = f"{ADMIN}add/"


def _form(**fields: object) -> dict[str, object]:
    form = {"shortcut": "welcome", "title": "Welcome", "text": "Hello.", "is_active": "on"}
    form.update(fields)
    return {key: value for key, value in form.items() if value is not None}


@pytest.fixture
def superuser(helpline) -> User:
    user = StaffFactory(username="root", organisation=helpline, role=User.Role.ADMIN)
    user.is_superuser = True
    user.save()
    return user


def test_a_helpline_admin_writes_a_reply_for_their_helpline(helpline, admin_user, otp_client):
    client = otp_client(admin_user)
    assert client.get(ADD).status_code == 200
    text = "Hi, I'm {operator_first_name}. Your reference is {case_ref}."

    response = client.post(ADD, _form(helpline=helpline.pk, text=text))

    assert response.status_code == 302, response.content.decode()[:3000]
    reply = CannedReply.objects.get()
    assert (reply.helpline, reply.text, reply.is_active) == (helpline, text, True)
    assert reply.history.count() == 1


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Dear {victim_name}, we called.", "{victim_name} is not a placeholder."),
        ("Ref {case_ref", 'A lone "{": braces are only for placeholders.'),
    ],
)
def test_anything_else_in_braces_is_an_error_the_admin_sees(
    helpline, admin_user, otp_client, text: str, shown: str
) -> None:
    response = otp_client(admin_user).post(ADD, _form(helpline=helpline.pk, text=text))

    assert response.status_code == 200  # the form again
    page = response.content.decode()
    assert shown.replace('"', "&quot;") in page
    assert "{operator_first_name}, {case_ref}" in page
    assert not CannedReply.objects.exists()


def test_a_helpline_admin_cannot_write_shared_or_another_helplines_replies(
    helpline, other_helpline, admin_user, otp_client
) -> None:
    client = otp_client(admin_user)

    for_all = client.post(ADD, _form())  # no helpline: every helpline's
    for_them = client.post(ADD, _form(helpline=other_helpline.pk))

    assert for_all.status_code == for_them.status_code == 200
    assert "This field is required" in for_all.content.decode()
    assert "Select a valid choice" in for_them.content.decode()
    assert not CannedReply.objects.exists()


def test_a_helpline_admin_reads_the_shared_replies_and_never_another_helplines(
    helpline, other_helpline, admin_user, otp_client
) -> None:
    shared = CannedReply.objects.create(shortcut="shared", title="Shared words", text="All.")
    theirs = CannedReply.objects.create(
        helpline=other_helpline, shortcut="theirs", title="Their words", text="No."
    )
    ours = CannedReply.objects.create(
        helpline=helpline, shortcut="ours", title="Our words", text="Ours."
    )
    client = otp_client(admin_user)

    listing = client.get(ADMIN).content.decode()
    assert "Shared words" in listing
    assert "Our words" in listing
    assert "Their words" not in listing
    # the shared one is read-only: its page shows it, a change is refused
    page = client.get(f"{ADMIN}{shared.pk}/change/")
    assert page.status_code == 200
    assert 'name="text"' not in page.content.decode()
    changed = client.post(f"{ADMIN}{shared.pk}/change/", _form(shortcut="shared", text="Mine."))
    assert changed.status_code == 403
    shared.refresh_from_db()
    assert shared.text == "All."
    # another helpline's is out of reach, history included
    assert client.get(f"{ADMIN}{theirs.pk}/change/").status_code == 302
    assert client.get(f"{ADMIN}{theirs.pk}/history/").status_code == 404
    version = theirs.history.first().history_id
    assert client.get(f"{ADMIN}{theirs.pk}/history/{version}/").status_code == 404
    # their own is theirs to change; retired, not deleted
    edited = client.post(
        f"{ADMIN}{ours.pk}/change/", _form(helpline=helpline.pk, shortcut="ours", is_active=None)
    )
    assert edited.status_code == 302
    ours.refresh_from_db()
    assert ours.is_active is False
    assert client.get(f"{ADMIN}{ours.pk}/history/").status_code == 200
    assert client.get(f"{ADMIN}{ours.pk}/delete/").status_code == 403


def test_a_superuser_writes_the_shared_replies(superuser, otp_client) -> None:
    response = otp_client(superuser).post(ADD, _form())

    assert response.status_code == 302
    assert CannedReply.objects.get().helpline is None


def test_one_reply_per_shortcut_helpline_and_language(superuser, otp_client) -> None:
    CannedReply.objects.create(shortcut="welcome", title="Welcome", text="Hello.")

    response = otp_client(superuser).post(ADD, _form())

    assert response.status_code == 200
    assert CannedReply.objects.count() == 1


def test_words_naming_an_organisation_warn_the_admin(helpline, admin_user, otp_client) -> None:
    response = otp_client(admin_user).post(
        ADD, _form(helpline=helpline.pk, text="North Helpline is here for you."), follow=True
    )

    assert CannedReply.objects.count() == 1
    assert "names an organisation" in response.content.decode()


@pytest.mark.parametrize("kind", [Organisation.Kind.CSO, Organisation.Kind.MONITOR])
def test_a_cso_or_monitor_admin_has_no_say(kind, helpline, otp_client) -> None:
    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory(kind=kind)
    admin = StaffFactory(organisation=organisation, role=User.Role.ADMIN)
    CannedReply.objects.create(helpline=helpline, shortcut="ours", title="Ours", text="Ours.")
    client = otp_client(admin)

    assert client.get(ADMIN).status_code == 403
    assert client.post(ADD, _form(helpline=helpline.pk)).status_code == 403
    assert CannedReply.objects.count() == 1
