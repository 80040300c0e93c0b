"""Update message types in the admin (issue 14.5, DESIGN rule 10): a superuser or a helpline's
administrator defines as many as they need; the page refuses what would reach a victim wrong
(an event nothing sends, a placeholder Lantern does not fill in, no way to tell them, no English
words) and warns of a notice that names an organisation. A CSO's administrator reaches none of
it. Words are made up."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from portal.models import UpdateType
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PAGE = "/admin/portal/updatetype/"
ADD = f"{PAGE}add/"


def superuser() -> User:
    user = User.objects.create_superuser("root", "root@example.org", "a made-up password")
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


@pytest.fixture
def root(otp_client):
    return otp_client(superuser())


def type_form(texts: list[dict] | None = None, **fields) -> dict:
    """What the add page posts: the type and its words per language (the inline "texts")."""
    texts = (
        texts
        if texts is not None
        else [
            {
                "language": "en",
                "title": "Made-up heading",
                "body": "Made-up words the victim reads in the portal.",
                "subject": "Update",
                "notice": "You have a new update. Sign in to see it: {link}",
            }
        ]
    )
    form = {
        "name": "Made-up bail update",
        "code": "made_up_bail",
        "trigger": "staff",
        "event": "",
        "channels": ["sms", "email"],
        "is_active": "on",
        "position": "500",
        "texts-TOTAL_FORMS": str(len(texts)),
        "texts-INITIAL_FORMS": "0",
        "texts-MIN_NUM_FORMS": "1",
        "texts-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, text in enumerate(texts):
        form.update({f"texts-{index}-{key}": value for key, value in text.items()})
    return form


def english(**changes) -> dict:
    return {
        "language": "en",
        "title": "Made-up heading",
        "body": "Made-up words.",
        "subject": "Update",
        "notice": "You have a new update: {link}",
        **changes,
    }


# Saved ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "event"),
    [("staff", ""), ("case_event", "case_taken_on"), ("partner_event", "court_date_set")],
)
def test_an_admin_adds_a_type_for_each_trigger(trigger, event, root) -> None:
    answer = root.post(ADD, type_form(trigger=trigger, event=event))

    assert answer.status_code == 302, answer.content.decode()[:2000]
    kind = UpdateType.objects.get(code="made_up_bail")
    assert (kind.trigger, kind.event, kind.channels) == (trigger, event, ["sms", "email"])
    assert kind.texts.get().language == "en"
    assert kind.history.latest().history_user.username == "root"


def test_a_partner_event_type_added_later_can_be_a_trigger(root) -> None:
    from django.apps import apps

    apps.get_model("feeds", "PartnerEventType").objects.create(
        code="made_up_bail_changed", label="Made-up bail changed", position=99
    )

    answer = root.post(ADD, type_form(trigger="partner_event", event="made_up_bail_changed"))

    assert answer.status_code == 302
    assert UpdateType.objects.get(code="made_up_bail").event == "made_up_bail_changed"


def test_an_appointment_type_may_say_when(root) -> None:
    form = type_form(
        [english(body="Your made-up appointment is on {when}.")],
        trigger="case_event",
        event="appointment",
    )

    assert root.post(ADD, form).status_code == 302


def test_a_welsh_text_beside_the_english_one(root) -> None:
    welsh = english(language="cy", title="Pennawd ffug", notice="Diweddariad newydd: {link}")

    answer = root.post(ADD, type_form([english(), welsh]))

    assert answer.status_code == 302
    kind = UpdateType.objects.get(code="made_up_bail")
    assert sorted(kind.texts.values_list("language", flat=True)) == ["cy", "en"]


def test_a_notice_naming_an_organisation_is_saved_with_a_warning(root, helpline) -> None:
    answer = root.post(
        ADD, type_form([english(notice=f"{helpline.name} has news: {{link}}")]), follow=True
    )

    assert answer.status_code == 200
    assert UpdateType.objects.filter(code="made_up_bail").exists()
    warnings = [str(m) for m in get_messages(answer.wsgi_request) if m.level_tag == "warning"]
    assert any("names an organisation" in m for m in warnings), warnings


# Refused --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "texts", "error"),
    [
        ({"trigger": "case_event", "event": "made_up_event"}, None, "Choose a case event"),
        ({"trigger": "case_event", "event": ""}, None, "Choose a case event"),
        ({"trigger": "partner_event", "event": "not_a_type"}, None, "partner event type"),
        ({"trigger": "staff", "event": "case_closed"}, None, "Leave this empty"),
        ({"trigger": "system"}, None, "Select a valid choice"),
        ({"channels": []}, None, "This field is required"),
        ({"channels": ["phone"]}, None, "Select a valid choice"),
        ({}, [english(notice="Hello {name}: {link}")], "{name} is not something Lantern"),
        ({}, [english(notice="Your code is {code}: {link}")], "{code} is not something"),
        ({}, [english(notice="Update {link")], "A lone { or }"),
        ({}, [english(notice="You have a new update.")], "Put {link} in the notice"),
        ({}, [english(subject="About {reference}")], "{reference} is not something"),
        ({}, [english(body="On {when}.")], "{when} is not something Lantern fills in"),
        ({}, [english(title="")], "Give the update a heading"),
        ({}, [english(language="cy")], "Write the English words"),
        ({}, [english(language="Welsh!")], "Write a language code"),
        ({}, [english(), english(title="Again")], "Please correct the duplicate data for language"),
    ],
)
def test_what_would_reach_a_victim_wrong_is_refused(fields, texts, error, root) -> None:
    answer = root.post(ADD, type_form(texts, **fields))

    assert answer.status_code == 200  # the form again, with the reason
    assert error in answer.content.decode().replace("&#x27;", "'")
    assert not UpdateType.objects.filter(code="made_up_bail").exists()


def test_a_code_is_kept_and_a_system_message_keeps_its_trigger(root) -> None:
    kind = UpdateType.objects.get(code="sign_in_code")
    text = kind.texts.get()
    form = type_form(
        [
            {
                "id": str(text.pk),
                "update_type": str(kind.pk),
                "language": "en",
                "title": "",
                "body": "",
                "subject": "Your code",
                "notice": "Made-up: your code is {code}, for {minutes} minutes.",
            }
        ],
        name="Sign-in code",
        code="renamed_code",
        trigger="staff",
        position="1",
    )
    form["texts-INITIAL_FORMS"] = "1"

    refused = root.post(f"{PAGE}{kind.pk}/change/", form)
    assert "keep their trigger" in refused.content.decode()

    form["trigger"] = "system"
    saved = root.post(f"{PAGE}{kind.pk}/change/", form)

    assert saved.status_code == 302
    kind.refresh_from_db()
    assert (kind.code, kind.trigger) == ("sign_in_code", "system")
    assert kind.texts.get().notice == "Made-up: your code is {code}, for {minutes} minutes."


@pytest.mark.parametrize(
    ("code", "notice", "error"),
    [
        # without the code, nobody could ever sign in again
        ("sign_in_code", "Your sign-in code is ready.", "{code}"),
        # without the reference or the link, the invitation leads nowhere
        ("portal_invitation", "Follow your report online: {link}", "{reference}"),
        ("portal_invitation", "Your reference is {reference}.", "{link}"),
        ("new_message", "You have a new message.", "{link}"),
        # a placeholder another portal message fills in reaches the victim as written
        ("new_message", "You have a new message: {link} (code {code})", "{code}"),
        ("portal_invitation", "Use {reference} at {link} within {minutes} minutes", "{minutes}"),
    ],
)
def test_a_portal_message_keeps_what_it_needs_and_nothing_it_cannot_fill(
    code, notice, error, root
) -> None:
    kind = UpdateType.objects.get(code=code)
    text = kind.texts.get(language="en")
    form = type_form(
        [{"id": str(text.pk), "update_type": str(kind.pk), "language": "en", "title": "",
          "body": "", "subject": text.subject, "notice": notice}],
        name=kind.name, code=kind.code, trigger="system", position=str(kind.position),
    )  # fmt: skip
    form["texts-INITIAL_FORMS"] = "1"

    answer = root.post(f"{PAGE}{kind.pk}/change/", form)

    assert answer.status_code == 200
    assert error in answer.content.decode()
    text.refresh_from_db()
    assert text.notice != notice


def test_types_are_retired_never_deleted(root) -> None:
    kind = UpdateType.objects.get(code="case_closed")

    assert root.get(f"{PAGE}{kind.pk}/delete/").status_code == 403
    assert root.post(f"{PAGE}{kind.pk}/delete/", {"post": "yes"}).status_code == 403
    assert UpdateType.objects.filter(pk=kind.pk).exists()


# A long list ----------------------------------------------------------------------------------


def test_the_list_is_filtered_by_trigger_and_searched(root) -> None:
    for number in range(130):  # the seeds speak of 120 kinds
        UpdateType.objects.create(
            code=f"made_up_{number}", name=f"Made-up kind {number}", trigger="staff"
        )

    staff_only = root.get(f"{PAGE}?trigger__exact=partner_event").content.decode()
    found = root.get(f"{PAGE}?q=made_up_129").content.decode()

    assert "Suspect charged" in staff_only
    assert "Made-up kind" not in staff_only
    assert "Made-up kind 129" in found
    assert "Made-up kind 128" not in found


# Who reaches it -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["helpline admin", "superuser"])
def test_helpline_admins_and_superusers_edit_the_types(who, admin_user, otp_client) -> None:
    client = otp_client(superuser() if who == "superuser" else admin_user)

    assert client.get(PAGE).status_code == 200
    assert client.post(ADD, type_form()).status_code == 302


@pytest.mark.parametrize("kind", ["cso", "monitor_org"])
def test_a_cso_or_monitor_administrator_reaches_none_of_it(kind, request, otp_client) -> None:
    organisation = request.getfixturevalue(kind)
    client = otp_client(StaffFactory(organisation=organisation, role=User.Role.ADMIN))
    existing = UpdateType.objects.get(code="case_closed")

    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}{existing.pk}/change/").status_code == 403
    assert client.post(ADD, type_form()).status_code == 403
    assert not UpdateType.objects.filter(code="made_up_bail").exists()


@pytest.mark.parametrize("who", ["operator", "supervisor"])
def test_casework_staff_reach_none_of_it(who, request, otp_client) -> None:
    client = otp_client(request.getfixturevalue(who))

    answer = client.get(PAGE)

    assert answer.status_code in (302, 403)  # the admin's sign-in page, or refused
    assert "Suspect charged" not in answer.content.decode()
