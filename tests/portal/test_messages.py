"""Two-way messages in the portal. The victim writes: a Report on the session's case (never one the
form names), a follow-up to reply for the holder and each live referral's named person, staff
alerts. Staff reply: the portal thread shows it, the victim's safe way gets only a neutral notice
through the safe-contact table, or nothing when they forbade contact."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import connection

from cases.models import Case, Report
from cases.workflow import CaseError, ConflictError, NotAllowedError
from notifications.models import Notification
from portal.messages import MAX_LENGTH, new_token, reply_in_portal, victim_writes
from portal.models import PortalAccess
from portal.session import Visitor
from referrals.models import FollowUp, Referral
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReferralFactory
from tests.notifications.fakes import twilio_fake
from tests.portal.conftest import PREFERENCES, VICTIM_PHONE, sign_in_as

pytestmark = pytest.mark.django_db

MESSAGES = "/portal/messages/"
S = Notification.Status


def _token(client) -> str:
    html = client.get(MESSAGES).content.decode()
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def _send(client, text: str, **extra: str):
    return client.post(MESSAGES, {"text": text, "token": _token(client), **extra})


def portal_reports(case: Case) -> list[str]:
    return list(
        Report.objects.filter(case=case, channel=Report.PORTAL).values_list("body", flat=True)
    )


# The victim writes ------------------------------------------------------------------------------


def test_a_message_lands_on_the_case_and_the_page_says_sent_once(
    victim_client, portal_case, django_capture_on_commit_callbacks
) -> None:
    # when
    with django_capture_on_commit_callbacks(execute=True):
        sent = _send(victim_client, "  I have a question about my appointment.  ")

    # then: back to the messages page, which says Sent once
    assert sent.status_code == 302
    assert sent["Location"] == MESSAGES
    assert portal_reports(portal_case) == ["I have a question about my appointment."]
    page = victim_client.get(MESSAGES).content.decode()
    assert 'role="status"' in page
    assert "Sent" in page
    assert "You wrote" in page
    assert "I have a question about my appointment." in page
    assert 'role="status"' not in victim_client.get(MESSAGES).content.decode()


def test_the_holder_and_referral_workers_get_a_follow_up_and_an_alert(
    victim_client, portal_case, operator, cso_rep, other_cso, django_capture_on_commit_callbacks
) -> None:
    # given: a live referral with a named person, and one with nobody named
    ReferralFactory(case=portal_case, organisation=cso_rep.organisation, assignee=cso_rep)
    ReferralFactory(case=portal_case, organisation=other_cso)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        _send(victim_client, "Please call me after 6.")

    # then
    follow_ups = FollowUp.objects.filter(case=portal_case, done_at=None)
    assert {(f.assignee, f.organisation) for f in follow_ups} == {
        (operator, operator.organisation),
        (cso_rep, cso_rep.organisation),
    }
    assert all(f.kind.code == "reply" and not f.notes for f in follow_ups)
    alerts = Notification.objects.filter(kind="case.message_received", channel="in_app")
    assert {row.recipient for row in alerts} >= {operator, cso_rep}
    assert all("Please call me" not in row.text for row in alerts)


def test_more_messages_keep_one_open_follow_up_per_person(
    victim_client, portal_case, operator, cso_rep
) -> None:
    ReferralFactory(case=portal_case, organisation=cso_rep.organisation, assignee=cso_rep)
    _send(victim_client, "First")
    _send(victim_client, "Second")
    assert FollowUp.objects.filter(case=portal_case, assignee=operator).count() == 1
    assert FollowUp.objects.filter(case=portal_case, assignee=cso_rep).count() == 1


def test_an_ended_referrals_worker_gets_no_follow_up(victim_client, portal_case, cso_rep) -> None:
    ReferralFactory(
        case=portal_case,
        organisation=cso_rep.organisation,
        assignee=cso_rep,
        status=Referral.Status.COMPLETED,
    )
    _send(victim_client, "Hello")
    assert not FollowUp.objects.filter(assignee=cso_rep).exists()


def test_another_cases_ids_in_the_form_are_ignored(victim_client, portal_case, helpline) -> None:
    # given: another victim's case, with their own portal access
    other = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED)
    other_access = PortalAccess.objects.create(case=other)

    # when: the form is sent with every name a case could be given by
    _send(
        victim_client,
        "Message for my own case",
        case=str(other.pk),
        case_id=str(other.pk),
        number=other.number,
        access=str(other_access.pk),
    )

    # then
    assert portal_reports(portal_case) == ["Message for my own case"]
    assert portal_reports(other) == []


def test_a_double_submit_is_one_message(victim_client, portal_case) -> None:
    token = _token(victim_client)
    first = victim_client.post(MESSAGES, {"text": "Only once please", "token": token})
    second = victim_client.post(MESSAGES, {"text": "Only once please", "token": token})
    assert first.status_code == second.status_code == 302
    assert portal_reports(portal_case) == ["Only once please"]


def test_the_same_form_with_new_words_is_a_new_message(victim_client, portal_case) -> None:
    token = _token(victim_client)
    victim_client.post(MESSAGES, {"text": "First words", "token": token})
    victim_client.post(MESSAGES, {"text": "Other words", "token": token})
    assert sorted(portal_reports(portal_case)) == ["First words", "Other words"]


def test_a_token_lifted_from_another_victim_does_not_swallow_the_message(
    victim_client, portal_case, helpline, client
) -> None:
    # given: another victim sent a message with a token
    other = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED)
    CasePersonFactory(
        case=other, person=PersonFactory(name="Other Madeup", contact_preferences=PREFERENCES)
    )
    other_client = sign_in_as(type(client)(), PortalAccess.objects.create(case=other))
    token = _token(other_client)
    other_client.post(MESSAGES, {"text": "Theirs", "token": token})

    # when: this victim sends with the same token
    victim_client.post(MESSAGES, {"text": "Mine", "token": token})

    # then
    assert portal_reports(portal_case) == ["Mine"]
    assert portal_reports(other) == ["Theirs"]


@pytest.mark.django_db(transaction=True)
def test_four_sends_of_one_form_at_the_same_moment_are_one_message(
    require_postgresql, portal_access, portal_case
) -> None:
    # given: one form, sent four times at once (a phone retrying on a bad connection)
    visitor = Visitor(access=portal_access, decoy=False)
    token = new_token()

    def send(_: int) -> int:
        try:
            return victim_writes(visitor, "Sent at once", token=token).pk
        finally:
            connection.close()

    # when
    with ThreadPoolExecutor(4) as pool:
        stored = set(pool.map(send, range(4)))

    # then: all four answered with the same message
    assert len(stored) == 1
    assert portal_reports(portal_case) == ["Sent at once"]


def test_a_message_moved_here_from_another_victims_portal_is_never_shown_as_theirs(
    victim_client, portal_case, helpline
) -> None:
    """A merge, or staff moving a report to the case it was really about, brings another victim's
    portal message onto this case: it is on the case for staff, never in this victim's thread."""
    other = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED)
    CasePersonFactory(
        case=other, person=PersonFactory(name="Other Madeup", contact_preferences=PREFERENCES)
    )
    other_access = PortalAccess.objects.create(case=other)
    other_client = sign_in_as(type(victim_client)(), other_access)
    other_client.post(MESSAGES, {"text": "Theirs, moved", "token": _token(other_client)})
    Report.objects.filter(case=other).update(case=portal_case)

    assert "Theirs, moved" not in victim_client.get(MESSAGES).content.decode()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Write your message"),
        ("    ", "Write your message"),
        ("x" * (MAX_LENGTH + 1), "2,000 characters or fewer"),
    ],
)
def test_a_bad_message_shows_the_error_summary_and_stores_nothing(
    victim_client, portal_case, text, error
) -> None:
    page = victim_client.post(MESSAGES, {"text": text, "token": _token(victim_client)})

    html = page.content.decode()
    assert page.status_code == 400
    assert "<title>Error: " in html
    assert "There is a problem" in html
    assert error in html
    assert 'href="#id_text"' in html
    assert 'aria-invalid="true"' in html
    assert portal_reports(portal_case) == []


def test_a_message_of_exactly_the_limit_is_sent(victim_client, portal_case) -> None:
    assert _send(victim_client, "y" * MAX_LENGTH).status_code == 302
    assert portal_reports(portal_case) == ["y" * MAX_LENGTH]


def test_a_closed_report_can_be_read_but_not_written_to(victim_client, portal_case) -> None:
    # given: closed, inside the grace period
    token = _token(victim_client)
    Case.objects.filter(pk=portal_case.pk).update(
        status=Case.Status.CLOSED, closed_at=portal_case.created_at
    )

    # when
    page = victim_client.post(MESSAGES, {"text": "Too late?", "token": token})

    # then
    html = page.content.decode()
    assert "you cannot send messages here now" in html
    assert 'name="text"' not in html
    assert portal_reports(portal_case) == []


def test_a_revoked_access_cannot_send(victim_client, portal_case, portal_access) -> None:
    token = _token(victim_client)
    PortalAccess.objects.filter(pk=portal_access.pk).update(status=PortalAccess.Status.REVOKED)

    page = victim_client.post(MESSAGES, {"text": "Still there?", "token": token})

    assert page.status_code == 302
    assert page["Location"] == "/portal/sign-in/"
    assert portal_reports(portal_case) == []


def test_someone_not_signed_in_cannot_send(client, portal_case) -> None:
    page = client.post(MESSAGES, {"text": "Anonymous"})
    assert page.status_code == 302
    assert portal_reports(portal_case) == []


# Staff reply -------------------------------------------------------------------------------------


def test_a_staff_reply_shows_in_the_portal_and_a_neutral_notice_goes(
    victim_client, portal_case, operator, cso, django_capture_on_commit_callbacks
) -> None:
    # given: an organisation is on the case (its name must not reach the phone)
    ReferralFactory(case=portal_case, organisation=cso)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        row = reply_in_portal(
            case=portal_case, actor=operator, text=f"Hello, {cso.name} can see you Tuesday."
        )

    # then: the reply is in the portal, delivered without any provider
    row.refresh_from_db()
    assert (row.channel, row.kind, row.status, row.destination) == (
        "portal",
        "victim.portal_reply",
        S.DELIVERED,
        "",
    )
    page = victim_client.get(MESSAGES).content.decode()
    assert "We wrote" in page
    assert "can see you Tuesday" in page
    assert operator.username not in page
    # and the victim's safe way got the neutral notice only
    notice = Notification.objects.get(kind="victim.new_message")
    assert notice.channel == "sms"
    assert notice.status == S.SENT
    assert "Tuesday" not in notice.text
    assert cso.name not in notice.text
    assert "/portal/" in notice.text
    assert notice.sent_by == operator


@pytest.fixture
def twilio(settings):
    """The real twilio Client, pointed at a stand-in for Twilio's REST API on loopback."""
    with twilio_fake(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN) as fake:
        settings.TWILIO_API_BASE_URL = fake.base_url
        settings.TWILIO_FROM_NUMBER = "+447700900000"
        yield fake


def test_the_reply_never_reaches_a_provider_only_the_neutral_notice_does(
    portal_case, portal_access, operator, twilio, django_capture_on_commit_callbacks
) -> None:
    # when
    with django_capture_on_commit_callbacks(execute=True):
        reply_in_portal(case=portal_case, actor=operator, text="Canary words of the reply")

    # then: one text, to the victim's phone, with the portal's link and nothing of the reply
    (request,) = twilio.requests
    assert request.to == VICTIM_PHONE
    assert "Canary" not in request.body
    assert "/portal/" in request.body
    assert Notification.objects.get(kind="victim.portal_reply").status == S.DELIVERED


def test_a_victim_who_forbade_contact_sees_the_reply_but_gets_no_notice(
    victim_client, portal_case, operator, twilio, django_capture_on_commit_callbacks
) -> None:
    # given
    victim = portal_case.people.get(role="victim").person
    victim.contact_preferences = {**PREFERENCES, "contact": "none"}
    victim.save()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        reply_in_portal(case=portal_case, actor=operator, text="We are here when you need us.")

    # then
    assert "We are here when you need us." in victim_client.get(MESSAGES).content.decode()
    notices = Notification.objects.filter(kind="victim.new_message")
    assert [n.status for n in notices] == [S.SUPPRESSED]
    assert mail.outbox == []
    assert twilio.requests == []


def test_the_notice_by_email_says_nothing_of_the_reply(
    portal_case, portal_access, operator, django_capture_on_commit_callbacks
) -> None:
    victim = portal_case.people.get(role="victim").person
    victim.contact_preferences = {**PREFERENCES, "channels": ["email"]}
    victim.save()

    with django_capture_on_commit_callbacks(execute=True):
        reply_in_portal(case=portal_case, actor=operator, text="Canary reply words")

    (sent,) = mail.outbox
    assert "Canary reply words" not in sent.body + sent.subject
    assert portal_case.number not in sent.subject


def test_reading_the_thread_marks_replies_read_for_staff_to_see(
    victim_client, portal_case, operator, otp_client, django_capture_on_commit_callbacks
) -> None:
    # given
    with django_capture_on_commit_callbacks(execute=True):
        row = reply_in_portal(case=portal_case, actor=operator, text="Did you get this?")
    staff = otp_client(operator)
    case_page = f"/cases/{portal_case.number}/"
    assert "In the portal, not read yet" in staff.get(case_page).content.decode()

    # when
    html = victim_client.get(MESSAGES).content.decode()

    # then
    assert "portal-tag--new" in html
    row.refresh_from_db()
    assert row.read_at is not None
    assert "Read in the portal" in staff.get(case_page).content.decode()
    assert "portal-tag--new" not in victim_client.get(MESSAGES).content.decode()


def test_the_case_page_thread_shows_the_portal_both_ways(
    victim_client, portal_case, operator, otp_client
) -> None:
    _send(victim_client, "Victim portal words")
    reply_in_portal(case=portal_case, actor=operator, text="Staff portal words")

    html = otp_client(operator).get(f"/cases/{portal_case.number}/").content.decode()

    section = html.split('id="messages"')[1].split("</section>")[0]
    assert "Victim portal words" in section
    assert "Staff portal words" in section
    assert section.count("· Portal ·") == 2


def test_the_thread_is_oldest_first(victim_client, portal_case, operator) -> None:
    _send(victim_client, "One")
    reply_in_portal(case=portal_case, actor=operator, text="Two")
    _send(victim_client, "Three")
    html = victim_client.get(MESSAGES).content.decode()
    assert html.index(">One<") < html.index(">Two<") < html.index(">Three<")


def test_another_victims_replies_never_show(victim_client, portal_case, helpline, operator):
    other = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, claimed_by=operator)
    CasePersonFactory(case=other, person=PersonFactory(contact_preferences=dict(PREFERENCES)))
    PortalAccess.objects.create(case=other)
    reply_in_portal(case=other, actor=operator, text="For the other victim only")

    html = victim_client.get(MESSAGES).content.decode()

    assert "For the other victim only" not in html
    assert Notification.objects.get(kind="victim.portal_reply").read_at is None


def test_who_may_reply(
    portal_case, portal_access, cso_rep, monitor, other_operator, supervisor
) -> None:
    for outsider in (cso_rep, monitor, other_operator):
        with pytest.raises(NotAllowedError):
            reply_in_portal(case=portal_case, actor=outsider, text="Not mine to write")
    assert reply_in_portal(case=portal_case, actor=supervisor, text="A supervisor may").pk
    assert Notification.objects.filter(kind="victim.portal_reply").count() == 1


def test_a_referral_worker_may_reply(portal_case, portal_access, cso_rep) -> None:
    ReferralFactory(case=portal_case, organisation=cso_rep.organisation, assignee=cso_rep)
    row = reply_in_portal(case=portal_case, actor=cso_rep, text="From the support service")
    assert row.sent_by == cso_rep


def test_an_empty_or_long_reply_is_refused(portal_case, portal_access, operator) -> None:
    with pytest.raises(CaseError):
        reply_in_portal(case=portal_case, actor=operator, text="   ")
    with pytest.raises(CaseError):
        reply_in_portal(case=portal_case, actor=operator, text="z" * (MAX_LENGTH + 1))
    assert not Notification.objects.filter(kind__startswith="victim.").exists()


def test_no_reply_where_the_victim_cannot_sign_in(portal_case, portal_access, operator) -> None:
    PortalAccess.objects.filter(pk=portal_access.pk).update(status=PortalAccess.Status.REVOKED)
    with pytest.raises(ConflictError):
        reply_in_portal(case=portal_case, actor=operator, text="Nobody will read this")
    assert not Notification.objects.filter(kind__startswith="victim.").exists()
