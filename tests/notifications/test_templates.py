"""Words that name an organisation (issue 11.12, DP-04), now that the words victims are sent are
update message types' (issue 14.5): a notice an admin wrote naming any organisation Lantern
knows, or saying "helpline", is saved with a warning and never goes to a victim who asked us not
to name the organisation, asked when it is queued and again when it is sent. Words staff type
are read against the case's own organisations. Placeholders are refused by the update types'
admin (tests/portal/test_update_admin.py)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import transaction

from cases import events
from cases.models import Case
from notifications import services
from notifications.models import Notification
from portal.models import PortalAccess, PortalUpdate, UpdateText, UpdateType
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory
from tests.notifications.conftest import HELPLINE_NUMBER, VICTIM_PHONE
from tests.notifications.fakes import TwilioFake

pytestmark = pytest.mark.django_db

S = Notification.Status
UPDATES = {"contact": "allowed", "channels": ["sms"], "updates": True}
DISCREET = {**UPDATES, "no_org_name": True}
NAMES_ORG = "The message names an organisation, and the victim asked us not to."


def victim_case(helpline, preferences: dict) -> Case:
    helpline.phone_number = HELPLINE_NUMBER
    helpline.save()
    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED)
    # they said yes to the portal (its access is what updates are read in)
    victim = PersonFactory(phone=VICTIM_PHONE, contact_preferences={**preferences, "portal": True})
    CasePersonFactory(case=case, person=victim)
    ReportFactory(case=case, sender=VICTIM_PHONE)
    PortalAccess.objects.create(case=case)
    return case


def use_notice(words: str) -> None:
    """The English notice of the seeded "case closed" type."""
    UpdateText.objects.filter(update_type__code="case_closed", language="en").update(notice=words)


def close(case: Case, capture, *, execute: bool = True) -> Notification:
    with capture(execute=execute), transaction.atomic():
        events.case_event(case=case, event="case_closed")
    row = PortalUpdate.objects.get(case=case).notice
    row.refresh_from_db()
    return row


# Warned of when saved --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notice", "warned"),
    [
        ("You have a new update: {link}", False),
        ("North Helpline: you have a new update {link}", True),
        ("Your helpline has an update: {link}", True),
        ("Safe Haven has news for you: {link}", True),  # a CSO's name, not only the helpline
        ("SAFE HAVEN has news for you: {link}", True),
    ],
)
def test_an_admin_is_warned_of_a_notice_naming_an_organisation(
    notice, warned, admin_user, cso, otp_client
) -> None:
    form = {
        "name": "Made-up update", "code": "made_up_update", "trigger": "staff", "event": "",
        "channels": ["sms"], "is_active": "on", "position": 900,
        "texts-TOTAL_FORMS": 1, "texts-INITIAL_FORMS": 0,
        "texts-MIN_NUM_FORMS": 1, "texts-MAX_NUM_FORMS": 1000,
        "texts-0-language": "en", "texts-0-title": "Made-up", "texts-0-body": "Made-up words.",
        "texts-0-subject": "Update", "texts-0-notice": notice,
    }  # fmt: skip

    answer = otp_client(admin_user).post("/admin/portal/updatetype/add/", form, follow=True)

    assert answer.status_code == 200
    assert UpdateType.objects.filter(code="made_up_update").exists()  # saved all the same
    warnings = [str(m) for m in get_messages(answer.wsgi_request) if m.level_tag == "warning"]
    assert bool(warnings) is warned
    if warned:
        assert "names an organisation" in warnings[0]


# Never to a victim who asked us not to name the organisation ------------------------------------


@pytest.mark.parametrize("named", ["the case's helpline", "an organisation not on the case"])
@pytest.mark.parametrize(
    ("preferences", "outcome"),
    [(DISCREET, S.SUPPRESSED), (UPDATES, S.SENT)],
    ids=["do not name the organisation", "naming allowed"],
)
def test_a_notice_naming_any_organisation_never_goes_to_a_discreet_victim(
    named,
    preferences,
    outcome,
    helpline,
    other_cso,
    twilio: TwilioFake,
    django_capture_on_commit_callbacks,
) -> None:
    name = helpline.name if named == "the case's helpline" else other_cso.name
    use_notice(f"{name} has news for you: {{link}}")
    case = victim_case(helpline, preferences)

    row = close(case, django_capture_on_commit_callbacks)

    assert row.names_organisation is True
    assert row.status == outcome
    if outcome == S.SUPPRESSED:
        assert row.reason == NAMES_ORG
        assert twilio.requests == []
    else:
        assert len(twilio.accepted) == 1


def test_the_mark_on_the_row_is_asked_again_when_it_is_sent(
    helpline, other_cso, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    # given: queued to a victim who then asks us not to name the organisation
    use_notice(f"{other_cso.name} has news for you: {{link}}")
    case = victim_case(helpline, UPDATES)
    row = close(case, django_capture_on_commit_callbacks, execute=False)
    victim = services.victim_of(case)
    victim.contact_preferences = DISCREET
    victim.save()

    services.deliver(notification_id=row.pk)

    row.refresh_from_db()
    assert (row.status, row.reason) == (S.SUPPRESSED, NAMES_ORG)
    assert twilio.requests == []


def test_a_reply_staff_type_is_read_against_the_cases_own_organisations(
    helpline, other_cso, operator, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    """Staff may point a discreet victim to another service by name; never name their own."""
    case = victim_case(helpline, DISCREET)

    with django_capture_on_commit_callbacks(execute=True):
        elsewhere = services.reply_to_victim(
            case=case, actor=operator, channel="sms", text=f"Made-up: {other_cso.name} can help."
        )
        ours = services.reply_to_victim(
            case=case, actor=operator, channel="sms", text=f"Made-up: {helpline.name} here."
        )

    elsewhere.refresh_from_db()
    ours.refresh_from_db()
    assert (elsewhere.status, ours.status) == (S.SENT, S.SUPPRESSED)
    assert ours.reason == NAMES_ORG


def test_the_sms_acknowledgement_naming_the_helpline_is_not_sent_to_a_discreet_victim(
    helpline, settings
) -> None:
    settings.SMS_ACK_TEXT = f"{helpline.name} got your message."
    case = victim_case(helpline, {**DISCREET, "contact": "only_if_i_contact_first"})

    reply = services.sms_acknowledgement(case=case, sender=VICTIM_PHONE)

    assert reply == ""
    row = Notification.objects.get(kind="victim.sms_ack")
    assert (row.status, row.names_organisation) == (S.SUPPRESSED, True)
    assert row.reason == NAMES_ORG
