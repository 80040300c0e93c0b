"""Invitations to the portal (issue 14 item 1): verifying a case whose victim said yes to "Let me
follow my report online" opens their access and sends the neutral invitation with the case
reference through the outbox and the safe-contact gate, in the verifying transaction; staff send it
again. The providers are stand-ins on loopback (Twilio's API, an SMTP server). Every name, number
and address is made up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from cases import events
from cases.models import Case
from cases.workflow import CaseError, NotAllowedError
from notifications.models import Notification
from notifications.victim_messages import NAMES_ORG_REASON
from portal import invitations
from portal.models import PortalAccess, UpdateText
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory, category
from tests.notifications.fakes import SmtpServer, TwilioFake, smtp_server, twilio_fake
from triage.services import Verification, claim_case, verify_case

pytestmark = pytest.mark.django_db

S = Notification.Status
VICTIM_PHONE = "+447700900654"
VICTIM_EMAIL = "follow.online@example.org"
KIND = "victim.portal_invitation"
YES = {
    "contact": "allowed",
    "channels": ["sms", "email"],
    "email": VICTIM_EMAIL,
    "portal": True,
}


@pytest.fixture
def twilio(settings) -> Iterator[TwilioFake]:
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "ACmadeup0002", "made-up-token"
    with twilio_fake(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN) as fake:
        settings.TWILIO_API_BASE_URL = fake.base_url
        settings.TWILIO_FROM_NUMBER = "+447700900002"
        yield fake


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    with smtp_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        yield server


def in_triage(helpline, operator, **prefs) -> Case:
    """A reported case claimed by the operator, its victim's answers as given."""
    case = CaseFactory(helpline=helpline)
    ReportFactory(case=case, sender=VICTIM_PHONE, body="Made-up report for invitations.")
    person = PersonFactory(name="Testperson Invited", phone=VICTIM_PHONE, contact_preferences=prefs)
    CasePersonFactory(case=case, person=person)
    return claim_case(case=case, actor=operator)


def verify(case: Case, operator, capture) -> Case:
    """Verify as the console does, then the commit and what it queued."""
    with capture(execute=True):
        return verify_case(
            case=case,
            actor=operator,
            verification=Verification(category=category(), priority=Case.Priority.STANDARD),
        )


def verify_then_fail(case: Case, operator) -> None:
    with transaction.atomic():
        verify_case(
            case=case,
            actor=operator,
            verification=Verification(category=category(), priority=Case.Priority.STANDARD),
        )
        raise RuntimeError("the change failed after the verification")


def invitation(case: Case) -> Notification:
    row = Notification.objects.get(case=case, kind=KIND)
    row.refresh_from_db()
    return row


# Verification invites ------------------------------------------------------------------------


def test_a_yes_with_texts_allowed_gets_access_and_a_text_with_the_reference(
    helpline, operator, twilio, settings, django_capture_on_commit_callbacks
):
    case = in_triage(helpline, operator, **YES)

    verify(case, operator, django_capture_on_commit_callbacks)

    access = PortalAccess.objects.get(case=case)
    assert (access.status, access.invitations_sent, access.invited_by) == ("active", 1, None)
    assert access.history.first().history_change_reason == "Invited to the portal at verification"
    row = invitation(case)
    assert (row.channel, row.status, row.automated, row.sent_by) == ("sms", S.SENT, False, None)
    (sent,) = twilio.accepted
    assert sent.to == VICTIM_PHONE
    assert case.number in sent.body
    assert f"{settings.PUBLIC_BASE_URL}/portal/" in sent.body
    assert "North Helpline" not in sent.body
    assert "Testperson" not in sent.body
    # a lock screen shows it: it says no more than any update (no "report", no "help")
    assert sent.body.startswith("You have a new update.")
    assert "report" not in sent.body.lower()
    assert "help" not in sent.body.lower()


def test_email_only_gets_the_invitation_by_email(
    helpline, operator, twilio, smtp, django_capture_on_commit_callbacks
):
    case = in_triage(helpline, operator, **{**YES, "channels": ["email"]})

    verify(case, operator, django_capture_on_commit_callbacks)

    row = invitation(case)
    assert (row.channel, row.status) == ("email", S.SENT)
    (message,) = smtp.messages
    assert message["To"] == VICTIM_EMAIL
    assert message["Subject"] == "Your reference"  # neutral words on a shared screen
    assert case.number in message.get_content()
    assert twilio.requests == []


def test_no_org_name_and_words_naming_the_helpline_is_kept_as_not_sent(
    helpline, operator, twilio, django_capture_on_commit_callbacks
):
    words = UpdateText.objects.get(update_type__code="portal_invitation", language="en")
    words.notice = "North Helpline here. Follow your report at {link} with {reference}."
    words.save()
    case = in_triage(helpline, operator, **{**YES, "no_org_name": True})

    verify(case, operator, django_capture_on_commit_callbacks)

    assert PortalAccess.objects.filter(case=case).exists()
    row = invitation(case)
    assert (row.status, row.reason) == (S.SUPPRESSED, NAMES_ORG_REASON)
    assert twilio.requests == []


def test_do_not_contact_opens_the_access_and_keeps_the_invitation_with_the_reason(
    helpline, operator, twilio, django_capture_on_commit_callbacks
):
    case = in_triage(helpline, operator, contact="none", channels=[], portal=True)

    verify(case, operator, django_capture_on_commit_callbacks)

    assert PortalAccess.objects.get(case=case).invitations_sent == 1
    row = invitation(case)
    assert (row.status, row.reason) == (S.SUPPRESSED, "The victim asked not to be contacted.")
    assert twilio.requests == []


@pytest.mark.parametrize("answer", [{"portal": False}, {}, {"portal": "yes"}])
def test_no_yes_means_no_access_and_no_message(
    answer, helpline, operator, twilio, django_capture_on_commit_callbacks
):
    case = in_triage(helpline, operator, **{**YES, "portal": None, **answer})

    verify(case, operator, django_capture_on_commit_callbacks)

    assert not PortalAccess.objects.filter(case=case).exists()
    assert not Notification.objects.filter(case=case, kind=KIND).exists()
    assert all(case.number not in request.body for request in twilio.requests)


def test_a_verification_that_rolls_back_leaves_no_access_and_no_message(
    helpline, operator, twilio, django_capture_on_commit_callbacks
):
    case = in_triage(helpline, operator, **YES)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        verify_then_fail(case, operator)

    assert not PortalAccess.objects.filter(case=case).exists()
    assert not Notification.objects.filter(case=case, kind=KIND).exists()
    assert twilio.requests == []


def test_a_case_without_a_victim_invites_nobody(
    helpline, operator, django_capture_on_commit_callbacks
):
    case = claim_case(case=CaseFactory(helpline=helpline), actor=operator)

    verify(case, operator, django_capture_on_commit_callbacks)

    assert not PortalAccess.objects.filter(case=case).exists()


def test_the_event_again_sends_no_second_invitation(
    helpline, operator, twilio, django_capture_on_commit_callbacks
):
    case = in_triage(helpline, operator, **YES)
    verify(case, operator, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        events.case_event(case=case, event=events.CASE_TAKEN_ON, actor=operator)

    assert PortalAccess.objects.get(case=case).invitations_sent == 1
    assert Notification.objects.filter(case=case, kind=KIND).count() == 1
    assert len(twilio.accepted) == 1


def test_a_partner_event_coded_like_verification_invites_nobody(helpline, operator):
    case = in_triage(helpline, operator, **YES)

    events.partner_event(case=case, event=events.CASE_TAKEN_ON)

    assert not PortalAccess.objects.filter(case=case).exists()


def test_other_case_events_invite_nobody(helpline, operator):
    case = in_triage(helpline, operator, **YES)

    for event in (events.REPORT_RECEIVED, events.CASE_CLOSED, events.APPOINTMENT):
        events.case_event(case=case, event=event, actor=operator)

    assert not PortalAccess.objects.filter(case=case).exists()


def test_verifying_on_the_console_with_the_box_ticked_invites(
    helpline, operator, otp_client, twilio, django_capture_on_commit_callbacks
):
    case = in_triage(helpline, operator)
    form = {
        "category": "coercive-control",
        "priority": "high",
        "victim_name": "Testperson Console",
        "victim_phone": "07700 900654",
        "contact": "allowed",
        "channels": ["sms"],
        "portal": "on",
        "perp-TOTAL_FORMS": "0",
        "perp-INITIAL_FORMS": "0",
        "perp-MIN_NUM_FORMS": "0",
        "perp-MAX_NUM_FORMS": "20",
    }

    with django_capture_on_commit_callbacks(execute=True):
        answer = otp_client(operator).post(f"/console/{case.number}/verify/", form)

    assert answer.status_code == 302
    assert invitation(case).status == S.SENT
    (sent,) = twilio.accepted
    assert case.number in sent.body


def test_a_switched_off_invitation_opens_the_access_and_sends_nothing(
    helpline, operator, twilio, django_capture_on_commit_callbacks
):
    from portal.models import UpdateType

    UpdateType.objects.filter(code="portal_invitation").update(is_active=False)
    case = in_triage(helpline, operator, **YES)

    verify(case, operator, django_capture_on_commit_callbacks)

    access = PortalAccess.objects.get(case=case)
    assert access.invitations_sent == 0
    assert not Notification.objects.filter(case=case, kind=KIND).exists()
    assert twilio.requests == []


# Staff invite --------------------------------------------------------------------------------


@pytest.fixture
def verified(helpline, operator) -> Case:
    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, claimed_by=operator)
    CasePersonFactory(
        case=case,
        person=PersonFactory(name="Testperson Staff", phone=VICTIM_PHONE, contact_preferences=YES),
    )
    return case


def test_staff_invite_makes_the_access_with_who_invited(
    verified, operator, twilio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = invitations.invite(verified, operator)

    access = PortalAccess.objects.get(case=verified)
    assert (access.invited_by, access.invitations_sent) == (operator, 1)
    row.refresh_from_db()
    assert (row.sent_by, row.status) == (operator, S.SENT)
    assert len(twilio.accepted) == 1


def test_staff_invite_again_counts_and_sends_anew(
    verified, operator, supervisor, twilio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invite(verified, operator)
        invitations.invite(verified, supervisor)

    access = PortalAccess.objects.get(case=verified)
    assert (access.invited_by, access.invitations_sent) == (operator, 2)
    assert Notification.objects.filter(case=verified, kind=KIND).count() == 2
    assert len(twilio.accepted) == 2
    assert access.history.first().history_change_reason == "Invitation to the portal sent again"


def test_staff_invite_after_revoking_opens_it_again(verified, operator):
    PortalAccess.objects.create(
        case=verified, status=PortalAccess.Status.REVOKED, revoked_by=operator
    )

    invitations.invite(verified, operator)

    access = PortalAccess.objects.get(case=verified)
    assert (access.status, access.revoked_at, access.revoked_by) == ("active", None, None)
    assert access.history.first().history_change_reason == (
        "Invited to the portal again after revoking"
    )


def test_staff_cannot_invite_a_victim_who_did_not_say_yes(verified, operator):
    victim = verified.people.get(role="victim").person
    victim.contact_preferences = {**YES, "portal": False}
    victim.save()

    with pytest.raises(CaseError, match="not said yes"):
        invitations.invite(verified, operator)

    assert not PortalAccess.objects.filter(case=verified).exists()
    assert not Notification.objects.filter(case=verified).exists()


def test_staff_cannot_invite_to_a_discarded_case(helpline, operator):
    case = CaseFactory(helpline=helpline, status=Case.Status.DISCARDED, claimed_by=operator)
    CasePersonFactory(case=case, person=PersonFactory(contact_preferences=YES))

    with pytest.raises(CaseError):
        invitations.invite(case, operator)

    assert not PortalAccess.objects.filter(case=case).exists()
    assert not Notification.objects.filter(case=case).exists()


def test_someone_who_may_not_change_the_case_cannot_invite(verified, other_operator, monitor):
    for outsider in (other_operator, monitor):
        with pytest.raises(NotAllowedError):
            invitations.invite(verified, outsider)
    assert not PortalAccess.objects.filter(case=verified).exists()
