"""Message templates are checked when saved (issue 11.12, DESIGN rule 10): a placeholder Lantern
does not fill in is refused with the reason, in the admin and anywhere else a template is saved;
words that name an organisation (any Lantern knows, or "helpline") mark the template, and a marked
template never goes to a victim who asked us not to name the organisation (DP-04)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Organisation
from cases.models import Case
from notifications import services
from notifications.models import MessageTemplate, Notification
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    PersonFactory,
    ReportFactory,
)
from tests.notifications.conftest import HELPLINE_NUMBER, VICTIM_PHONE
from tests.notifications.fakes import TwilioFake

pytestmark = pytest.mark.django_db

S = Notification.Status
ADD = "/admin/notifications/messagetemplate/add/"
UPDATES = {"contact": "allowed", "channels": ["sms"], "updates": True}
DISCREET = {**UPDATES, "no_org_name": True}


def add_template(client, **fields):
    form = {
        "milestone": "case_closed",
        "language": "xx",
        "channel": "sms",
        "subject": "",
        "text": "You have a new update.",
        "is_active": "on",
        **fields,
    }
    return client.post(ADD, form)


def victim_case(helpline, preferences: dict) -> Case:
    helpline.phone_number = HELPLINE_NUMBER
    helpline.save()
    case = CaseFactory(helpline=helpline, status=Case.Status.CLOSED)
    victim = PersonFactory(phone=VICTIM_PHONE, contact_preferences=preferences)
    CasePersonFactory(case=case, person=victim)
    ReportFactory(case=case, sender=VICTIM_PHONE)
    return case


def use_words(text: str) -> MessageTemplate:
    template = MessageTemplate.objects.get(milestone="case_closed", language="en", channel="sms")
    template.text = text
    template.save()
    return template


# Checked when saved ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"text": "Hello {name}, you have an update."},
            "{name} is not a placeholder Lantern fills in (only {when}).",
        ),
        (
            {"text": "Your case closed on {when}."},
            "{when} (an appointment&#x27;s date and time) is only filled in for appointments.",
        ),
        ({"text": "Result: {{7*7}}"}, "{7*7} is not a placeholder Lantern fills in"),
        ({"text": "Update {when"}, "A lone { or } is left in the words"),
        (
            {"channel": "email", "subject": "About {case_number}"},
            "{case_number} is not a placeholder Lantern fills in",
        ),
    ],
)
def test_the_admin_refuses_a_placeholder_lantern_does_not_fill_in(
    fields, error, admin_user, otp_client
) -> None:
    response = add_template(otp_client(admin_user), **fields)

    assert response.status_code == 200  # the form again, with the reason
    assert error in response.content.decode()
    assert not MessageTemplate.objects.filter(language="xx").exists()


def test_an_appointment_may_say_when_and_the_admin_saves_it(admin_user, otp_client) -> None:
    response = add_template(
        otp_client(admin_user), milestone="appointment", text="Reminder: {when}."
    )

    assert response.status_code == 302
    assert MessageTemplate.objects.get(language="xx").text == "Reminder: {when}."


def test_nothing_saves_a_template_with_an_unknown_placeholder() -> None:
    template = MessageTemplate.objects.get(milestone="case_closed", language="en", channel="sms")
    template.text = "Dear {name}"

    with pytest.raises(ValidationError, match="not a placeholder"):
        template.save()

    template.refresh_from_db()
    assert template.text == "You have a new update."


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("You have a new update.", False),
        ("North Helpline: you have a new update.", True),
        ("Your helpline has an update.", True),
        ("Safe Haven has news for you.", True),  # a CSO's name, not only the case's helpline
        ("SAFE HAVEN has news for you.", True),
    ],
)
def test_words_naming_an_organisation_mark_the_template_when_saved_in_the_admin(
    text, marked, admin_user, cso, otp_client
) -> None:
    client = otp_client(admin_user)

    response = add_template(client, text=text)

    assert response.status_code == 302
    assert MessageTemplate.objects.get(language="xx").names_organisation is marked
    listing = client.get("/admin/notifications/messagetemplate/?language=xx").content.decode()
    assert "Names organisation" in listing


def test_an_organisation_added_or_renamed_later_marks_the_templates_naming_it(helpline) -> None:
    template = use_words("Bright Path has news for you.")
    assert template.names_organisation is False

    other = OrganisationFactory(slug="bright", name="Bright Path", kind=Organisation.Kind.CSO)
    template.refresh_from_db()
    assert template.names_organisation is True

    other.name = "Clear Road"
    other.save()
    template.refresh_from_db()
    assert template.names_organisation is False


# A marked template and the victim who said "do not name the organisation" -------------------------


@pytest.mark.parametrize(
    ("preferences", "outcome"),
    [(DISCREET, S.SUPPRESSED), (UPDATES, S.SENT)],
    ids=["do not name the organisation", "naming allowed"],
)
def test_a_template_naming_any_organisation_never_goes_to_a_discreet_victim(
    preferences,
    outcome,
    helpline,
    other_cso,
    twilio: TwilioFake,
    django_capture_on_commit_callbacks,
) -> None:
    # given: words naming an organisation that has nothing to do with this case
    use_words(f"{other_cso.name} closed your case.")
    case = victim_case(helpline, preferences)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = services.victim_milestone(case=case, milestone="case_closed")
    row.refresh_from_db()

    assert row.names_organisation is True
    assert row.status == outcome
    if outcome == S.SUPPRESSED:
        assert row.reason == "The message names an organisation, and the victim asked us not to."
        assert twilio.requests == []
    else:
        assert len(twilio.accepted) == 1


def test_the_mark_on_the_row_is_asked_again_when_it_is_sent(
    helpline, other_cso, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    # given: queued to a victim who then asks us not to name the organisation
    use_words(f"{other_cso.name} closed your case.")
    case = victim_case(helpline, UPDATES)
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        row = services.victim_milestone(case=case, milestone="case_closed")
    victim = services.victim_of(case)
    victim.contact_preferences = DISCREET
    victim.save()

    services.deliver(notification_id=row.pk)

    row.refresh_from_db()
    assert row.status == S.SUPPRESSED
    assert twilio.requests == []


def test_the_sms_acknowledgement_naming_the_helpline_is_not_sent_to_a_discreet_victim(
    helpline, settings
) -> None:
    settings.SMS_ACK_TEXT = f"{helpline.name} got your message."
    case = victim_case(helpline, {**DISCREET, "contact": "only_if_i_contact_first"})

    reply = services.sms_acknowledgement(case=case, sender=VICTIM_PHONE)

    assert reply == ""
    row = Notification.objects.get(kind="victim.sms_ack")
    assert (row.status, row.names_organisation) == (S.SUPPRESSED, True)
    assert row.reason == "The message names an organisation, and the victim asked us not to."
