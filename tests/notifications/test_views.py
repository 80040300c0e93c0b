"""The staff pages of issue 6, as the cast uses them: Amina reads and clears her alerts, chooses
which come by email and goes on duty; Joan, a supervisor, sees what failed or was held and sends
it again; on the case page staff write to the victim through the safe-contact function, Joan past
a refusal with a reason. Monitors read no message, other helplines reach nothing, and an archived
case takes no message. No address and no message text is ever shown where it should not be."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from cases.models import AccessLog, Case
from notifications.models import AlertPreference, Notification
from notifications.services import ALERT_KINDS, message_victim, notify_staff
from portal.models import UpdateType
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    PersonFactory,
    ReportFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

S = Notification.Status
VICTIM_PHONE = "+447700900123"  # Ofcom's drama range
VICTIM_WROTE = "Made-up test text: please only text after six."
ALLOWS_SMS = {
    "contact": "allowed",
    "channels": ["sms"],
    "no_text": False,
    "safe_from": "",
    "safe_until": "",
    "no_org_name": False,
    "updates": False,
}
REPLY = "Made-up reply: we can talk on Tuesday."


def html_of(response) -> str:
    return response.content.decode()


def victim_case(helpline, preferences: dict | None = None, **fields) -> Case:
    """A case of the helpline whose victim wrote in by text from her own phone."""
    fields.setdefault("status", Case.Status.VERIFIED)
    case = CaseFactory(helpline=helpline, **fields)
    victim = PersonFactory(
        name="Testperson Victim",
        phone=VICTIM_PHONE,
        contact_preferences=ALLOWS_SMS if preferences is None else preferences,
    )
    CasePersonFactory(case=case, person=victim)
    ReportFactory(case=case, sender=VICTIM_PHONE, body=VICTIM_WROTE)
    return case


@pytest.fixture
def case(helpline) -> Case:
    return victim_case(helpline)


def checkbox(html: str, name: str) -> str:
    """The <input> tag of a checkbox, by its name."""
    return re.search(rf'<input type="checkbox" name="{name}"[^>]*>', html).group(0)


def alert(user, case_number: str = "", text: str = "A case is handed to you") -> Notification:
    (row,) = notify_staff(users=[user], kind="case.assigned", case_number=case_number, text=text)
    return row


def send(client, case: Case, **data):
    form = {"channel": "sms", "text": REPLY, "confirm": "on", **data}
    return client.post(f"/cases/{case.number}/messages/", form)


# A user's own alerts ------------------------------------------------------------------------------


def test_alerts_list_unread_first_and_mark_read(operator, otp_client) -> None:
    # given: an older alert already read, and two unread ones
    read = alert(operator, "LNT-2026-000001", "Case LNT-2026-000001 is handed to you")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    older = alert(operator, "LNT-2026-000002", "Case LNT-2026-000002 is handed to you")
    newer = alert(operator, "", "The morning list of follow-ups is ready")
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now().replace(year=2025))
    client = otp_client(operator)

    # when
    response = client.get("/notifications/")

    # then: unread first, newest first; each with its case link; the header says two are unread
    html = html_of(response)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    texts = re.findall(r'<span class="alert-text">([^<]+)</span>', html)
    assert texts == [newer.text, older.text, read.text]
    assert 'href="/cases/LNT-2026-000002/"' in html
    assert 'Alerts (<span id="alerts-count">2</span>' in html
    assert f'action="/notifications/{older.pk}/read/"' in html
    assert f'action="/notifications/{read.pk}/read/"' not in html  # already read

    # when: one is marked read, then all
    assert client.post(f"/notifications/{older.pk}/read/")["Location"] == "/notifications/"
    assert 'id="alerts-count">1<' in html_of(client.get("/notifications/"))
    client.post("/notifications/read/")

    # then
    assert not Notification.objects.filter(recipient=operator, read_at=None).exists()
    assert 'id="alerts-count">0<' in html_of(client.get("/notifications/"))


def test_the_header_badge_and_live_toasts_are_on_every_staff_page(
    case, operator, cso_rep, otp_client
) -> None:
    alert(operator, case.number)

    html = html_of(otp_client(operator).get(f"/cases/{case.number}/"))

    assert '<a class="btn btn-outline-light btn-sm header-alerts" id="alerts-badge"' in html
    assert 'Alerts (<span id="alerts-count">1</span>)</a>' in html
    assert 'id="alert-toasts" class="alert-toasts" role="status" aria-live="polite"' in html
    assert '<script type="module" src="/static/js/alerts.js">' in html
    assert "<script>" not in html  # CSP: files only
    # CSO staff have no duty switch, but their alerts all the same
    cso_page = html_of(otp_client(cso_rep).get("/casework/"))
    assert 'id="alerts-count">0<' in cso_page
    assert "/notifications/duty/" not in cso_page


def test_a_signed_out_page_has_no_badge_and_no_socket(client) -> None:
    html = html_of(client.get("/accounts/login/"))

    assert "alerts-count" not in html
    assert "alerts.js" not in html


def test_the_toast_is_the_users_own_alert_only(case, operator, supervisor, otp_client) -> None:
    mine = alert(operator, case.number, f"Case {case.number} is handed to you")
    theirs = alert(supervisor, case.number, "Someone else's alert")
    client = otp_client(operator)

    toast = client.get(f"/notifications/{mine.pk}/toast/")
    assert toast.status_code == 200
    assert toast["Cache-Control"].startswith("max-age=0")
    html = html_of(toast)
    assert 'data-unread="1"' in html
    assert f"Case {case.number} is handed to you" in html
    assert f'href="/cases/{case.number}/"' in html
    assert "<html" not in html  # a partial

    assert client.get(f"/notifications/{theirs.pk}/toast/").status_code == 404
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


# How alerts reach them, and the duty switch -------------------------------------------------------


def test_preferences_are_saved_and_used_by_the_next_alert(operator, otp_client) -> None:
    # given: Amina has an email address but no phone on file
    client = otp_client(operator)
    page = html_of(client.get("/notifications/settings/"))
    for kind, label in ALERT_KINDS.items():
        default = ' <span class="badge text-bg-light">Default for your role</span>'
        assert f'<legend class="h6">{label}{default}</legend>' in page, kind
    assert "An email address is on file." in page
    assert "No phone number on file" in page
    assert "disabled" in checkbox(page, "case-assigned-sms")
    assert "disabled" not in checkbox(page, "case-assigned-email")
    assert "checked" in checkbox(page, "case-assigned-only_on_duty")  # the default

    # when: she asks for handed-over cases by email, only while on duty
    saved = client.post(
        "/notifications/settings/",
        {"case-assigned-email": "on", "case-assigned-only_on_duty": "on"},
    )

    # then
    assert saved["Location"] == "/notifications/settings/"
    preference = AlertPreference.objects.get(user=operator, kind="case.assigned")
    assert (preference.email, preference.sms, preference.only_on_duty) == (True, False, True)
    assert AlertPreference.objects.get(user=operator, kind="case.new").email is False
    again = html_of(client.get("/notifications/settings/"))
    assert "checked" in checkbox(again, "case-assigned-email")
    assert "checked" not in checkbox(again, "case-new-email")

    # when: a case is handed to her while she is off duty
    off = notify_staff(users=[operator], kind="case.assigned", case_number="LNT-1", text="Yours")

    # then: in the app only
    assert [row.channel for row in off] == ["in_app"]

    # when: she goes on duty from the header, and another case is handed to her
    client.post("/notifications/duty/", {"on_duty": "on", "next": "/notifications/"})
    operator.refresh_from_db()
    on = notify_staff(users=[operator], kind="case.assigned", case_number="LNT-2", text="Yours")

    # then: by email too, with the case's address and nothing else
    assert [row.channel for row in on] == ["in_app", "email"]
    assert on[1].destination == operator.email
    # a kind she did not choose: in the app only
    other = notify_staff(users=[operator], kind="case.new", case_number="LNT-3", text="New")
    assert [row.channel for row in other] == ["in_app"]


def test_duty_switch_is_a_pressed_button_that_says_its_state(operator, otp_client) -> None:
    client = otp_client(operator)
    html = html_of(client.get("/notifications/"))
    assert 'aria-pressed="false">Off duty' in html
    # the header's toggle is part of the operator's state switch (live.views, /console/state/);
    # /notifications/duty/ still answers the same form
    assert '<form method="post" action="/console/state/"' in html
    assert 'name="duty" value="on"' in html
    assert '<input type="hidden" name="next" value="/notifications/">' in html

    response = client.post("/notifications/duty/", {"on_duty": "on", "next": "/notifications/"})

    assert response["Location"] == "/notifications/"
    operator.refresh_from_db()
    assert operator.on_duty
    assert operator.history.latest().history_change_reason == "On duty"
    html = html_of(client.get("/notifications/"))
    assert 'aria-pressed="true">On duty' in html
    assert "You are on duty." in html

    # off again; a "next" elsewhere is not followed
    away = client.post("/notifications/duty/", {"on_duty": "off", "next": "https://evil.example/"})
    assert away["Location"] == "/notifications/settings/"
    operator.refresh_from_db()
    assert not operator.on_duty
    assert client.post("/notifications/duty/", {"on_duty": "maybe"}).status_code == 400


def test_only_helpline_staff_have_a_duty_switch(cso_rep, monitor, otp_client) -> None:
    for user in (cso_rep, monitor):
        client = otp_client(user)
        assert client.post("/notifications/duty/", {"on_duty": "on"}).status_code == 403
        page = html_of(client.get("/notifications/settings/"))
        assert "You have no on-duty switch" in page
        assert "disabled" in checkbox(page, "case-new-only_on_duty")
        assert "checked" not in checkbox(page, "case-new-only_on_duty")
    cso_rep.refresh_from_db()
    assert not cso_rep.on_duty


# Failed and held messages, for supervisors --------------------------------------------------------


@pytest.fixture
def failed(case, operator, other_helpline) -> dict[str, Notification]:
    to_victim = message_victim(case=case, channel="sms", text=REPLY, kind="victim.reply")
    Notification.objects.filter(pk=to_victim.pk).update(
        status=S.FAILED,
        attempts=5,
        last_error="Twilio answered 503",
        reason="Could not be sent: see the error, then retry or contact them another way.",
    )
    to_staff = alert(operator, case.number)
    Notification.objects.filter(pk=to_staff.pk).update(
        status=S.FAILED, attempts=1, last_error="Mail server: SMTPServerDisconnected"
    )
    elsewhere = message_victim(
        case=victim_case(other_helpline), channel="sms", text=REPLY, kind="victim.reply"
    )
    Notification.objects.filter(pk=elsewhere.pk).update(status=S.FAILED)
    return {"victim": to_victim, "staff": to_staff, "elsewhere": elsewhere}


def test_supervisor_sees_what_failed_without_address_or_text(
    failed, case, supervisor, otp_client
) -> None:
    response = otp_client(supervisor).get("/notifications/failed/")

    assert response.status_code == 200
    html = html_of(response)
    assert html.count('class="casework-item outbox-item"') == 2  # not the other helpline's
    assert f'href="/cases/{case.number}/"' in html
    assert '<span class="text-body-secondary">To</span> Victim' in html
    assert '<span class="text-body-secondary">To</span> amina' in html
    assert "Text message" in html
    assert "Written by staff" in html
    assert "5 attempts" in html
    assert "Failed: Twilio answered 503" in html
    assert "Mail server: SMTPServerDisconnected" in html
    assert f'action="/notifications/{failed["victim"].pk}/retry/"' in html
    assert VICTIM_PHONE not in html
    assert REPLY not in html
    assert "amina@lantern.invalid" not in html


def test_retry_queues_a_failed_message_again(failed, supervisor, otp_client) -> None:
    client = otp_client(supervisor)

    response = client.post(f"/notifications/{failed['victim'].pk}/retry/", follow=True)

    row = Notification.objects.get(pk=failed["victim"].pk)
    assert (row.status, row.reason) == (S.PENDING, "Retried by joan")
    assert response.redirect_chain == [("/notifications/failed/", 302)]
    assert "queued to be sent again" in html_of(response)
    # another helpline's message is not hers to see, let alone retry
    assert client.post(f"/notifications/{failed['elsewhere'].pk}/retry/").status_code == 404
    assert Notification.objects.get(pk=failed["elsewhere"].pk).status == S.FAILED


def test_only_supervisors_see_or_retry_failed_messages(
    failed, operator, cso_rep, monitor, otp_client
) -> None:
    for user in (operator, cso_rep, monitor):
        client = otp_client(user)
        assert client.get("/notifications/failed/").status_code == 403
        assert client.get("/notifications/failed/?view=held").status_code == 403
        assert client.post(f"/notifications/{failed['victim'].pk}/retry/").status_code == 403
    assert Notification.objects.get(pk=failed["victim"].pk).status == S.FAILED


def test_held_or_not_sent_says_why(helpline, supervisor, otp_client) -> None:
    stopped = victim_case(helpline, {"contact": "none"})
    message_victim(case=stopped, channel="sms", text=REPLY, kind="victim.reply")

    html = html_of(otp_client(supervisor).get("/notifications/failed/?view=held"))

    assert "Not sent: The victim asked not to be contacted." in html
    assert f'href="/cases/{stopped.number}/"' in html
    assert "/retry/" not in html
    assert REPLY not in html


# Writing to the victim from the case page ---------------------------------------------------------


def test_case_page_lists_messages_and_offers_a_victim_visible_form(
    case, operator, otp_client
) -> None:
    html = html_of(otp_client(operator).get(f"/cases/{case.number}/"))

    assert '<h2 class="h5" id="messages-heading">Messages with the victim</h2>' in html
    assert "From the victim" in html
    assert VICTIM_WROTE in html
    assert "<strong>Text message:</strong> Texting is allowed now" in html
    assert (
        "<strong>Email:</strong> Not allowed: No email address is recorded for the victim." in html
    )
    assert 'class="card card-body victim-visible message-form"' in html
    assert "Visible to the victim" in html
    assert "I have checked this is safe to send and the victim will see it" in html
    assert "Send to the victim" in html
    assert 'name="override_reason"' not in html  # operators cannot override safe contact


def test_a_text_the_victim_allows_is_queued(case, operator, otp_client) -> None:
    client = otp_client(operator)

    response = send(client, case)

    assert response["Location"] == f"/cases/{case.number}/#messages"
    row = Notification.objects.get(case=case)
    assert (row.channel, row.kind, row.sent_by, row.destination) == (
        "sms",
        "victim.reply",
        operator,
        VICTIM_PHONE,
    )
    assert row.status in (S.PENDING, S.SENT)
    html = html_of(client.get(response["Location"]))
    assert "Message queued." in html
    assert REPLY in html
    assert "written by amina" in html
    assert "To the victim" in html


def test_the_confirmation_is_required_and_nothing_is_stored_without_it(
    case, operator, otp_client
) -> None:
    response = send(otp_client(operator), case, confirm="")

    assert response.status_code == 400
    html = html_of(response)
    assert "<title>Error: Write to the victim of case" in html
    assert '<a href="#id_confirm">Confirm you have checked this is safe to send</a>' in html
    assert "Texting is allowed now" in html  # the safe-contact answer is on the page again
    assert REPLY in html  # what was typed is kept
    assert not Notification.objects.exists()


def test_a_do_not_contact_victim_gets_nothing_and_the_page_says_why(
    helpline, operator, otp_client
) -> None:
    case = victim_case(helpline, {**ALLOWS_SMS, "contact": "none"})
    client = otp_client(operator)
    assert "Not allowed: The victim asked not to be contacted." in html_of(
        client.get(f"/cases/{case.number}/")
    )

    response = send(client, case)

    row = Notification.objects.get(case=case)
    assert (row.status, row.reason) == (S.SUPPRESSED, "The victim asked not to be contacted.")
    html = html_of(client.get(response["Location"]))
    # told at once, in the message after sending and in the case's list of messages: not "queued"
    assert html.count("Not sent: The victim asked not to be contacted.") == 2
    assert "queued" not in html.casefold()


def test_a_message_held_for_the_victims_safe_hours_says_so_not_queued(
    helpline, operator, otp_client
) -> None:
    # given: safe from 18:00 to 21:00 only, and it is 10:00 in London
    case = victim_case(helpline, {**ALLOWS_SMS, "safe_from": "18:00", "safe_until": "21:00"})
    at_ten = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # GMT in March: 10:00 in London
    with time_machine.travel(at_ten, tick=False):
        client = otp_client(operator)

        response = send(client, case)
        html = html_of(client.get(response["Location"]))

    row = Notification.objects.get(case=case)
    assert (row.status, timezone.localtime(row.not_before).time()) == (S.PENDING, time(18, 0))
    assert "Not sent yet. Held until 18:00 (their safe hours): it goes then." in html
    assert "Message queued" not in html


def test_a_supervisor_sends_past_a_refusal_with_a_reason(helpline, supervisor, otp_client) -> None:
    case = victim_case(helpline, {**ALLOWS_SMS, "contact": "none"})
    client = otp_client(supervisor)
    assert "Send even though safe contact says no: why" in html_of(
        client.get(f"/cases/{case.number}/")
    )

    response = send(client, case, override_reason="Made-up: court date moved, she must know")

    row = Notification.objects.get(case=case)
    assert row.status == S.PENDING
    assert (row.overridden_by, row.override_reason) == (
        supervisor,
        "Made-up: court date moved, she must know",
    )
    html = html_of(client.get(response["Location"]))
    assert "Sent despite: The victim asked not to be contacted, by joan" in html


def test_an_operator_cannot_override_and_nothing_is_stored(helpline, operator, otp_client) -> None:
    case = victim_case(helpline, {**ALLOWS_SMS, "contact": "none"})

    response = send(otp_client(operator), case, override_reason="I think it is fine")

    assert response.status_code == 403
    assert not Notification.objects.exists()


def test_a_text_outside_safe_hours_is_held_and_says_until_when(
    helpline, operator, otp_client
) -> None:
    case = victim_case(helpline, {**ALLOWS_SMS, "safe_from": "18:00", "safe_until": "21:00"})
    client = otp_client(operator)
    ten_am = timezone.make_aware(datetime.combine(timezone.localdate(), time(10, 0)))
    with time_machine.travel(ten_am, tick=False):
        assert "Allowed from 18:00 (their safe hours)" in html_of(
            client.get(f"/cases/{case.number}/")
        )

        response = send(client, case)

        row = Notification.objects.get(case=case)
        assert row.status == S.PENDING
        assert timezone.localtime(row.not_before).strftime("%H:%M") == "18:00"
        html = html_of(client.get(response["Location"]))
        assert "Held until 18:00 (their safe hours)" in html


def test_a_victim_who_asked_for_discretion_is_flagged(helpline, operator, otp_client) -> None:
    case = victim_case(helpline, {**ALLOWS_SMS, "no_org_name": True})

    html = html_of(otp_client(operator).get(f"/cases/{case.number}/"))

    assert "Do not name the organisation" in html


def test_monitors_read_no_message_and_cannot_write(case, operator, monitor, otp_client) -> None:
    send(otp_client(operator), case)
    client = otp_client(monitor)

    html = html_of(client.get(f"/cases/{case.number}/"))

    assert "Messages with the victim" in html
    assert "To the victim" in html  # that it was sent, and how it went
    assert REPLY not in html
    assert VICTIM_WROTE not in html
    assert "Send to the victim" not in html
    assert "/messages/" not in html
    assert client.get(f"/cases/{case.number}/messages/").status_code == 403
    assert send(client, case).status_code == 403
    assert Notification.objects.count() == 1


def test_another_helpline_reaches_no_case_messages(case, other_operator, otp_client) -> None:
    client = otp_client(other_operator)

    assert client.get(f"/cases/{case.number}/messages/").status_code == 404
    assert send(client, case).status_code == 404
    assert not Notification.objects.exists()


def test_an_archived_case_takes_no_message(helpline, operator, otp_client) -> None:
    case = victim_case(helpline, status=Case.Status.ARCHIVED)
    client = otp_client(operator)

    html = html_of(client.get(f"/cases/{case.number}/"))
    assert "Messages with the victim" in html
    assert "Send to the victim" not in html

    response = send(client, case)

    assert response.status_code == 409
    assert "archived" in html_of(response)
    assert not Notification.objects.exists()


def test_the_compose_page_is_an_audited_read(case, operator, otp_client) -> None:
    response = otp_client(operator).get(f"/cases/{case.number}/messages/")

    assert response.status_code == 200
    assert AccessLog.objects.filter(user=operator, case=case).exists()
    assert "Texting is allowed now" in html_of(response)


# The admin ----------------------------------------------------------------------------------------


def test_admins_edit_the_words_victims_are_sent_as_update_types_never_deleted(
    admin_user, otp_client
) -> None:
    """The milestone templates' page is gone: the words are an update type's, per language."""
    client = otp_client(admin_user)
    closed = UpdateType.objects.get(code="case_closed")
    texts = list(closed.texts.order_by("pk"))
    form = {
        "name": closed.name,
        "trigger": closed.trigger,
        "event": closed.event,
        "channels": closed.channels,
        "is_active": "on",
        "position": closed.position,
        "texts-TOTAL_FORMS": len(texts) + 1,
        "texts-INITIAL_FORMS": len(texts),
        "texts-MIN_NUM_FORMS": 1,
        "texts-MAX_NUM_FORMS": 1000,
    }
    for index, text in enumerate(texts):
        for field in ("id", "language", "title", "body", "subject", "notice"):
            value = text.pk if field == "id" else getattr(text, field)
            form[f"texts-{index}-{field}"] = value
        form[f"texts-{index}-update_type"] = closed.pk
    somali = {"language": "so", "title": "Made-up title", "body": "Made-up words.",
              "subject": "Update", "notice": "Made-up notice: {link}"}  # fmt: skip
    form.update({f"texts-{len(texts)}-{key}": value for key, value in somali.items()})

    assert client.get("/admin/notifications/messagetemplate/").status_code == 404
    changed = client.post(f"/admin/portal/updatetype/{closed.pk}/change/", form)

    assert changed.status_code == 302
    added = closed.texts.get(language="so")
    assert added.history.latest().history_user == admin_user
    assert client.get(f"/admin/portal/updatetype/{closed.pk}/delete/").status_code == 403


def test_the_outbox_in_the_admin_is_a_list_without_words_or_addresses(
    case, helpline, otp_client
) -> None:
    row = message_victim(case=case, channel="sms", text=REPLY, kind="victim.reply")
    superuser = StaffFactory(username="root", organisation=helpline, role=User.Role.ADMIN)
    User.objects.filter(pk=superuser.pk).update(is_superuser=True)
    client = otp_client(superuser)

    listed = client.get("/admin/notifications/notification/")

    assert listed.status_code == 200
    html = html_of(listed)
    assert case.number in html
    assert REPLY not in html
    assert VICTIM_PHONE not in html
    assert client.get(f"/admin/notifications/notification/{row.pk}/change/").status_code == 403
    assert client.get("/admin/notifications/notification/add/").status_code == 403
    assert client.get(f"/admin/notifications/notification/{row.pk}/delete/").status_code == 403
