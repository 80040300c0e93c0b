"""A message from the victim on an open case becomes a follow-up for its holder (issue 11 item 9):
"Reply to the victim's message", due soon, one open at a time. cases tells referrals through
cases.signals (cases never imports referrals)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, FollowUpKind
from cases.selectors import case_history
from cases.services import IncomingReport, receive_message
from cases.timeline import readable
from referrals.models import FollowUp
from tests.factories import CaseFactory, ReportFactory
from tests.twilio import post_signed, sms_params

pytestmark = pytest.mark.django_db

SENDER = "+447700900321"


def message(n: int) -> IncomingReport:
    return IncomingReport(
        channel=Case.Channel.SMS, source_id=f"SMreply{n:026d}", sender=SENDER, body="Made-up text"
    )


@pytest.fixture
def held(helpline, operator) -> Case:
    case = CaseFactory(
        helpline=helpline, status=Case.Status.VERIFIED, channel="sms", claimed_by=operator
    )
    ReportFactory(case=case, sender=SENDER)
    return case


def test_a_message_on_a_held_case_sets_its_holder_a_follow_up_to_reply(
    held, operator, settings, django_capture_on_commit_callbacks
) -> None:
    settings.VICTIM_REPLY_DUE_MINUTES = 30
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        case, stored = receive_message(helpline=held.helpline, report=message(1))

    assert (case, stored) == (held, True)
    follow_up = FollowUp.objects.get(case=held)
    assert follow_up.kind.label == "Reply to the victim's message"
    assert (follow_up.assignee, follow_up.organisation) == (operator, operator.organisation)
    assert follow_up.created_by is None
    assert before + timedelta(minutes=30) <= follow_up.due_at
    assert follow_up.due_at <= timezone.now() + timedelta(minutes=30)
    assert "Made-up text" not in follow_up.notes
    timeline = readable(case_history(operator, held))
    assert ("Follow-up created", "The victim wrote: reply to their message", "") in [
        (e.what, e.reason, e.by) for e in timeline
    ]


def test_more_messages_do_not_pile_up_follow_ups(held, operator) -> None:
    receive_message(helpline=held.helpline, report=message(1))
    receive_message(helpline=held.helpline, report=message(2))
    assert FollowUp.objects.filter(case=held, done_at=None).count() == 1
    # once replied to (done), the next message asks again
    FollowUp.objects.update(done_at=timezone.now())
    receive_message(helpline=held.helpline, report=message(3))
    assert FollowUp.objects.filter(case=held, done_at=None).count() == 1


def test_a_retried_delivery_sets_nothing_more(held) -> None:
    receive_message(helpline=held.helpline, report=message(1))
    FollowUp.objects.update(done_at=timezone.now())
    assert receive_message(helpline=held.helpline, report=message(1))[1] is False
    assert FollowUp.objects.filter(done_at=None).count() == 0


def test_no_holder_no_follow_up(held) -> None:
    Case.objects.filter(pk=held.pk).update(claimed_by=None)
    receive_message(helpline=held.helpline, report=message(1))
    assert not FollowUp.objects.exists()


def test_an_admin_can_switch_it_off(held) -> None:
    FollowUpKind.objects.filter(code="reply").update(is_active=False)
    receive_message(helpline=held.helpline, report=message(1))
    assert not FollowUp.objects.exists()


def test_a_new_number_opens_a_case_and_sets_no_follow_up(helpline) -> None:
    receive_message(helpline=helpline, report=message(1))
    assert not FollowUp.objects.exists()


def test_through_the_sms_webhook(held, operator, client) -> None:
    params = sms_params("SM" + "7" * 32, sender=SENDER, body="Made-up text again")
    assert post_signed(client, "/intake/twilio/sms/", params).status_code == 200
    assert FollowUp.objects.filter(case=held, assignee=operator, done_at=None).count() == 1
