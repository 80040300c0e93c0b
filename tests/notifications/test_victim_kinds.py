"""Every kind of message to a victim, through the worker's path (queued in the change's transaction,
handed to the Celery task on commit, the task's `deliver` asking safe contact again, the real
twilio Client or SMTP on loopback), against a table of safe-contact answers (issue 11.1, DP-04).

The kinds are a reply staff typed and the notices of update message types (portal.updates): one
per seeded case event, a partner event's, and one sent by staff. An automatic update's notice
goes only to a victim who asked for updates (refused ones are kept with the reason, and the
update is in the portal either way); a reply or an update a member of staff chose to send does
not need that wish. It was once dropped at send time while `deliver` guessed "automated" from
the kind's "victim." prefix; what a message is is now stored on its row when it is queued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from cases import events
from cases.models import Case
from notifications import services
from notifications.models import Notification
from notifications.selectors import status_in_words
from notifications.tasks import deliver_notification
from portal.models import PortalAccess, PortalUpdate, UpdateType
from portal.updates import send_staff_update
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory
from tests.notifications.conftest import HELPLINE_NUMBER, VICTIM_EMAIL, VICTIM_PHONE
from tests.notifications.fakes import SmtpServer, TwilioFake

pytestmark = pytest.mark.django_db

S = Notification.Status
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, 10:00 in London
REPLY = "Made-up reply: we can talk on Tuesday."
CASE_EVENTS = ["report_received", "case_taken_on", "referral_accepted", "appointment",
               "case_resolved", "case_closed"]  # fmt: skip
PARTNER = "partner_suspect_charged"  # the seeded "Police: Suspect charged"
STAFF = "please_contact_us"  # a seeded type staff send from the case page
KINDS = ["victim.reply", *(f"victim.{code}" for code in [*CASE_EVENTS, PARTNER, STAFF])]

SMS_ONLY = {"contact": "allowed", "channels": ["sms"]}


@dataclass(frozen=True)
class Row:
    """One safe-contact answer and what must become of a reply, of an automatic update's notice
    and of the notice of an update staff sent (by default what becomes of the automatic one)."""

    preferences: dict
    reply: str  # "sent", "held" or "suppressed:<code words>"
    update: str  # the same
    wrote_hours_ago: float | None = 1  # the victim's last text, for "only if I contact you first"
    staff: str = ""


TABLE = {
    "texts allowed, no updates wanted": Row(
        SMS_ONLY, reply="sent", update="suppressed:did not ask for automatic updates", staff="sent"
    ),
    "texts allowed, updates wanted": Row({**SMS_ONLY, "updates": True}, "sent", "sent"),
    "email only, updates wanted": Row(
        {"contact": "allowed", "channels": ["email"], "email": VICTIM_EMAIL, "updates": True},
        reply="suppressed:did not say a text message is safe",
        update="sent",  # the notice goes by email, the way they said is safe
    ),
    "do not contact": Row(
        {**SMS_ONLY, "contact": "none", "updates": True},
        reply="suppressed:asked not to be contacted",
        update="suppressed:asked not to be contacted",
    ),
    "no texts": Row(
        {**SMS_ONLY, "no_text": True, "updates": True},
        reply="suppressed:asked not to be texted",
        update="suppressed:asked not to be texted",
    ),
    "no preferences recorded": Row(
        {}, reply="suppressed:No safe-contact", update="suppressed:No safe-contact"
    ),
    "only if they write first, they wrote an hour ago": Row(
        {"contact": "only_if_i_contact_first", "channels": ["sms"], "updates": True}, "sent", "sent"
    ),
    "only if they write first, they wrote two days ago": Row(
        {"contact": "only_if_i_contact_first", "channels": ["sms"], "updates": True},
        reply="suppressed:Only if the victim contacts us first",
        update="suppressed:Only if the victim contacts us first",
        wrote_hours_ago=48,
    ),
    "outside their safe hours": Row(
        {**SMS_ONLY, "updates": True, "safe_from": "18:00", "safe_until": "21:00"}, "held", "held"
    ),
    "do not name the organisation, neutral words": Row(
        {**SMS_ONLY, "updates": True, "no_org_name": True}, "sent", "sent"
    ),
}


def victim_case(helpline, row: Row) -> Case:
    helpline.phone_number = HELPLINE_NUMBER
    helpline.save()
    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED)
    # they said yes to the portal, whose access the updates are read in
    victim = PersonFactory(
        phone=VICTIM_PHONE, contact_preferences={**row.preferences, "portal": True}
    )
    CasePersonFactory(case=case, person=victim)
    PortalAccess.objects.create(case=case)
    if row.wrote_hours_ago is not None:
        ReportFactory(
            case=case,
            sender=VICTIM_PHONE,
            received_at=T0 - timedelta(hours=row.wrote_hours_ago),
        )
    return case


def queue(kind: str, case: Case, operator, capture, *, execute: bool = True) -> Notification | None:
    """Write the message as the app does, commit, and let the task the commit queues run."""
    with capture(execute=execute), transaction.atomic():
        code = kind.removeprefix("victim.")
        if kind == "victim.reply":
            row = services.reply_to_victim(case=case, actor=operator, channel="sms", text=REPLY)
        elif code == STAFF:
            update_type = UpdateType.objects.get(code=code)
            row = send_staff_update(case=case, update_type=update_type, actor=operator).notice
        elif code == PARTNER:
            events.partner_event(case=case, event="suspect_charged")
            row = PortalUpdate.objects.get(case=case).notice
        else:
            events.case_event(case=case, event=code, when=T0 + timedelta(days=2))
            row = PortalUpdate.objects.get(case=case).notice
    if row is not None:
        row.refresh_from_db()
    return row


def outcome(row: Notification | None) -> str:
    if row is None:
        return "none"
    if row.status == S.PENDING and row.not_before is not None:
        return "held"
    if row.status == S.SUPPRESSED:
        return f"suppressed:{row.reason}"
    return row.status


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("answer", list(TABLE))
def test_every_victim_message_kind_against_the_safe_contact_table(
    kind, answer, helpline, operator, twilio: TwilioFake, smtp: SmtpServer,
    django_capture_on_commit_callbacks,
) -> None:  # fmt: skip
    row = TABLE[answer]
    expected = {"victim.reply": row.reply, f"victim.{STAFF}": row.staff or row.update}.get(
        kind, row.update
    )
    with time_machine.travel(T0):
        case = victim_case(helpline, row)

        message = queue(kind, case, operator, django_capture_on_commit_callbacks)

    got = outcome(message)
    if expected.startswith("suppressed:"):
        assert got.startswith("suppressed:"), got
        assert expected.removeprefix("suppressed:") in got
    else:
        assert got == expected
    # what the providers saw agrees with the row: one send for "sent", none otherwise
    sends = len(twilio.accepted) + len(smtp.messages)
    assert sends == (1 if expected == "sent" else 0)
    assert message is not None
    assert message.automated is (kind not in ("victim.reply", f"victim.{STAFF}"))


@pytest.mark.parametrize("kind", KINDS)
def test_what_a_message_is_is_read_from_its_row_when_it_is_sent(
    kind, helpline, operator, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    """Queued, then handed to the worker later: the check when it goes asks what the check when
    it was queued asked (a reply must not become an "automatic update" on the way)."""
    row = Row({**SMS_ONLY, "updates": True}, "sent", "sent")
    with time_machine.travel(T0):
        case = victim_case(helpline, row)
        message = queue(kind, case, operator, django_capture_on_commit_callbacks, execute=False)
        assert message is not None
        assert message.status == S.PENDING
        # the victim then says: no automatic updates any more
        person = services.victim_of(case)
        person.contact_preferences = {**row.preferences, "updates": False}
        person.save()

        deliver_notification.delay(message.pk)  # what the commit would have queued

    message.refresh_from_db()
    if kind in ("victim.reply", f"victim.{STAFF}"):  # a person chose to send it
        assert message.status == S.SENT
        assert len(twilio.accepted) == 1
    else:
        assert (message.status, message.reason) == (
            S.SUPPRESSED,
            "The victim did not ask for automatic updates.",
        )
        assert twilio.requests == []


def test_a_retry_that_falls_outside_the_safe_hours_says_it_is_held_for_them(
    helpline, operator, twilio: TwilioFake, settings, django_capture_on_commit_callbacks
) -> None:
    """The wait's reason is what the row says now: a passing error before it does not make a
    safe-hours hold read as "trying again"."""
    row = Row({**SMS_ONLY, "safe_from": "09:00", "safe_until": "21:00"}, "sent", "none")
    twilio.fail_next(1, status=503)
    last_minute = T0.replace(hour=20, minute=59)
    with time_machine.travel(last_minute, tick=False) as clock:
        case = victim_case(helpline, row)
        message = queue("victim.reply", case, operator, django_capture_on_commit_callbacks)
        assert message.status == S.PENDING
        assert message.last_error  # busy: tried again in OUTBOX_RETRY_SECONDS

        clock.shift(timedelta(minutes=2))  # 21:01, past their safe hours
        with django_capture_on_commit_callbacks(execute=True):
            services.sweep_outbox()
        message.refresh_from_db()

        assert message.status == S.PENDING
        assert timezone.localtime(message.not_before).hour == 9
        assert message.last_error == ""
        assert status_in_words(message, timezone.now()) == (
            "Held until 09:00 on 3 Mar (their safe hours)"
        )
    assert len(twilio.accepted) == 0
