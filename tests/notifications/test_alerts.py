"""Staff alerts and victim updates, as the people using Lantern meet them: who is told what, when,
through which channel; and that no staff email or text ever carries a victim's or perpetrator's
name, number, address or story."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from cases.models import Case, CasePerson, Category, FollowUpKind, Person, Relationship
from cases.services import close_case
from cases.targets import PriorityTarget
from notifications.models import AlertPreference, Notification
from notifications.services import ALERT_KINDS
from portal.models import PortalUpdate
from referrals import services as casework
from referrals.services import FollowUpEntry, ReferralRequest
from tests.factories import CaseFactory, StaffFactory
from tests.twilio import post_signed, sms_params
from triage.services import (
    PerpetratorDetails,
    Verification,
    VictimRecord,
    alert_sla_breaches,
    claim_case,
    reassign_case,
    verify_case,
)

pytestmark = pytest.mark.django_db

CANARIES = {
    "name": "Canaryvictim Zqx",
    "phone": "+447700900555",
    "address": "7 Canary Lane",
    "story": "CANARY-STORY he broke the door",
    "perpetrator": "Canaryperp Wvk",
}


def alerts(kind: str, channel: str = "in_app") -> list[Notification]:
    return list(Notification.objects.filter(kind=kind, channel=channel))


def wants_everything(user) -> None:
    user.on_duty = True
    user.phone = "+447700900999"
    user.save()
    for kind in ALERT_KINDS:
        AlertPreference.objects.create(user=user, kind=kind, email=True, sms=True)


def test_a_new_report_alerts_the_operators_on_duty(client, helpline, operator, settings) -> None:
    settings.INTAKE_DEFAULT_HELPLINE = helpline.slug
    off_duty = StaffFactory(organisation=helpline, role="operator")
    operator.on_duty = True
    operator.save()

    post_signed(client, "/intake/twilio/sms/", sms_params("SM1", body=CANARIES["story"]))

    told = alerts("case.new")
    assert [a.recipient for a in told] == [operator]
    number = Case.objects.get().number
    assert told[0].text == f"New SMS report {number}"
    assert off_duty.notifications.count() == 0


def test_email_and_sms_alerts_follow_each_persons_choices(helpline, operator) -> None:
    wants_everything(operator)
    AlertPreference.objects.filter(user=operator, kind="case.new").update(sms=False)
    case = CaseFactory(helpline=helpline)
    from notifications.services import notify_staff

    notify_staff(users=[operator], kind="case.new", case_number=case.number, text="New report")
    assert {a.channel for a in Notification.objects.filter(kind="case.new")} == {"in_app", "email"}

    operator.on_duty = False
    operator.save()
    notify_staff(users=[operator], kind="case.new", case_number=case.number, text="New report")
    # off duty, and the email was "only while on duty": in the app only
    assert Notification.objects.filter(kind="case.new", channel="email").count() == 1


def test_a_case_handed_over_tells_the_new_holder(helpline, operator, supervisor) -> None:
    other = StaffFactory(organisation=helpline, role="operator")
    case = CaseFactory(helpline=helpline)
    claim_case(case=case, actor=operator)
    reassign_case(case=case, actor=supervisor, to=other)
    (told,) = alerts("case.assigned")
    assert told.recipient == other
    assert told.text == f"joan handed case {case.number} to you"


def test_supervisors_hear_once_of_a_report_waiting_too_long(helpline, supervisor, settings):
    settings.QUEUE_SLA_MINUTES = {"high": 5}
    urgent = CaseFactory(helpline=helpline, priority="high")
    CaseFactory(helpline=helpline, priority="standard")  # an hour to go
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert alert_sla_breaches() == 1
        assert alert_sla_breaches() == 0
    (told,) = alerts("queue.sla_breach")
    assert told.recipient == supervisor
    assert told.case_number == urgent.number


def test_a_follow_up_that_comes_due_is_remembered_once(helpline, operator, cso, cso_rep) -> None:
    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED)
    referral = casework.refer_case(
        case=case, actor=operator, request=ReferralRequest(organisation=cso, consent=True)
    )
    casework.accept_referral(referral=referral, actor=cso_rep)
    court = FollowUpKind.objects.get(code="court-date")
    casework.add_follow_up(
        case=case, actor=cso_rep, entry=FollowUpEntry(court, timezone.now() + timedelta(hours=1))
    )
    assert casework.remind_due_follow_ups() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert casework.remind_due_follow_ups() == 1
        assert casework.remind_due_follow_ups() == 0
    (told,) = alerts("follow_up.due")
    assert told.recipient == cso_rep
    assert told.text == f"Follow-up due: Court date, case {case.number}"


# Victims ------------------------------------------------------------------------------------------


def victim_case(helpline, operator, **wishes) -> Case:
    """A case in triage whose victim said texts are safe and yes to following it online: the
    verification invites them to the portal, where their updates are."""
    case = CaseFactory(helpline=helpline, status=Case.Status.IN_TRIAGE, claimed_by=operator)
    person = Person.objects.create(
        phone=CANARIES["phone"],
        contact_preferences={"contact": "allowed", "channels": ["sms"], "portal": True, **wishes},
    )
    CasePerson.objects.create(case=case, person=person, role="victim")
    return case


def verify(case, operator) -> None:
    verify_case(
        case=case,
        actor=operator,
        verification=Verification(category=Category.objects.get(code="physical"), priority="high"),
    )


def to_victim() -> list[tuple[str, str]]:
    rows = Notification.objects.filter(person__isnull=False).order_by("pk")
    return list(rows.values_list("kind", "status"))


NOTICE = "You have a new update. Sign in to see it: "


def test_a_victim_who_asked_for_updates_is_invited_and_finds_the_update_there(
    helpline, operator, django_capture_on_commit_callbacks
) -> None:
    case = victim_case(helpline, operator, updates=True)
    with django_capture_on_commit_callbacks(execute=True):
        verify(case, operator)
    update = PortalUpdate.objects.get(case=case, update_type__code="case_taken_on")
    assert update.title == "We are looking after your case"
    # one neutral message: the invitation, which the update rides on
    assert to_victim() == [("victim.portal_invitation", Notification.Status.SENT)]
    assert update.notice.destination == CANARIES["phone"]
    assert CANARIES["story"] not in update.notice.text


def test_updates_in_the_victims_language(helpline, operator) -> None:
    case = victim_case(helpline, operator, updates=True, language="cy")
    verify(case, operator)
    update = PortalUpdate.objects.get(case=case, update_type__code="case_taken_on")
    assert (update.title, update.body) == ("Diweddariad", "Mae gennych ddiweddariad newydd.")


def test_a_victim_who_did_not_ask_for_updates_gets_only_the_invitation(helpline, operator):
    case = victim_case(helpline, operator, updates=False)
    verify(case, operator)
    assert to_victim() == [("victim.portal_invitation", Notification.Status.PENDING)]
    assert PortalUpdate.objects.filter(case=case).count() == 1  # in the portal all the same


def test_an_update_outside_safe_hours_waits_for_them(helpline, operator) -> None:
    case = victim_case(helpline, operator, updates=True, safe_from="03:00", safe_until="03:01")
    verify(case, operator)
    notice = PortalUpdate.objects.get(case=case).notice
    assert notice.status == Notification.Status.PENDING
    assert timezone.localtime(notice.not_before).strftime("%H:%M") == "03:00"


def test_an_update_after_a_stop_is_kept_but_not_sent(client, helpline, operator) -> None:
    case = victim_case(helpline, operator, updates=True)
    post_signed(
        client, "/intake/twilio/sms/", sms_params("SM9", body="STOP", sender=CANARIES["phone"])
    )
    verify(case, operator)
    update = PortalUpdate.objects.get(case=case)
    assert update.notice.kind == "victim.case_taken_on"  # the refused invitation stands for none
    assert update.notice.status == Notification.Status.SUPPRESSED
    assert "STOP" in update.notice.reason


def test_every_step_of_a_case_is_an_update_and_a_neutral_notice(helpline, operator, cso, cso_rep):
    case = victim_case(helpline, operator, updates=True)
    start = timezone.now().replace(hour=9, minute=0)
    when = timezone.localtime(start).replace(hour=10, minute=30) + timedelta(days=2)
    with time_machine.travel(start, tick=False) as clock:
        verify(case, operator)
        clock.shift(timedelta(minutes=5))  # each step its own moment: not one message for all
        referral = casework.refer_case(
            case=case, actor=operator, request=ReferralRequest(organisation=cso, consent=True)
        )
        casework.accept_referral(referral=referral, actor=cso_rep)
        clock.shift(timedelta(minutes=5))
        casework.add_follow_up(
            case=case,
            actor=cso_rep,
            entry=FollowUpEntry(
                FollowUpKind.objects.get(code="appointment"), when, for_victim=True
            ),
        )
        clock.shift(timedelta(minutes=5))
        casework.resolve_case(case=case, actor=cso_rep, remark="Done", follow_ups="complete")
        clock.shift(timedelta(minutes=5))
        close_case(case=case, actor=operator, remark="Checked", victim_check="checked")

    updates = PortalUpdate.objects.filter(case=case).order_by("pk")
    assert [u.update_type.code for u in updates] == [
        "case_taken_on",
        "referral_accepted",
        "appointment",
        "case_resolved",
        "case_closed",
    ]
    assert f"{when:%-d %B %Y}, 10:30" in updates[2].body
    notices = [u.notice for u in updates]
    assert notices[0].kind == "victim.portal_invitation"
    assert [n.kind for n in notices[1:]] == [f"victim.{u.update_type.code}" for u in updates[1:]]
    assert all(n.text.startswith(NOTICE) for n in notices[1:])
    assert all("10:30" not in n.text for n in notices)


# Nothing personal in what staff receive -----------------------------------------------------------


def test_no_staff_email_or_text_carries_anything_about_the_people_on_a_case(
    client,
    helpline,
    operator,
    supervisor,
    cso,
    cso_rep,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    """The whole journey with everyone asking for every alert by email and text: the captured
    mail and every staff SMS row hold no canary from the victim, the perpetrator or the story."""
    settings.INTAKE_DEFAULT_HELPLINE = helpline.slug
    PriorityTarget.objects.filter(priority="standard").update(sla_minutes=1)
    for person in (operator, supervisor, cso_rep):
        wants_everything(person)
    other = StaffFactory(organisation=helpline, role="operator")
    wants_everything(other)

    with django_capture_on_commit_callbacks(execute=True):
        journey(client, helpline, operator, supervisor, cso, cso_rep, other)
    case = Case.objects.get()

    staff_messages = Notification.objects.filter(recipient__isnull=False).exclude(channel="in_app")
    assert staff_messages.filter(channel="sms").exists()
    assert len(mail.outbox) == staff_messages.filter(channel="email").count() > 5
    sent_words = [m.subject + "\n" + m.body for m in mail.outbox]
    sent_words += [row.text for row in staff_messages]
    sent_words += [row.text for row in Notification.objects.filter(channel="in_app")]
    for words in sent_words:
        for canary in CANARIES.values():
            assert canary not in words
        assert case.number in words or "Follow-ups" in words
    kinds = set(staff_messages.values_list("kind", flat=True))
    assert {"case.new", "queue.sla_breach", "case.message_received", "case.assigned",
            "referral.received", "referral.overdue", "referral.accepted", "follow_up.due",
            "case.resolved", "case.sent_back"} <= kinds  # fmt: skip


def journey(client, helpline, operator, supervisor, cso, cso_rep, other) -> None:
    post_signed(
        client,
        "/intake/twilio/sms/",
        sms_params("SM1", body=CANARIES["story"], sender=CANARIES["phone"]),
    )
    case = Case.objects.get()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        alert_sla_breaches()
    claim_case(case=case, actor=operator)
    post_signed(client, "/intake/twilio/sms/", sms_params("SM2", body=CANARIES["story"] + " again",
                                                          sender=CANARIES["phone"]))  # fmt: skip
    reassign_case(case=case, actor=supervisor, to=other)
    verify_case(
        case=case,
        actor=other,
        verification=Verification(
            category=Category.objects.get(code="physical"),
            priority="high",
            victim=VictimRecord(
                name=CANARIES["name"], phone=CANARIES["phone"], address=CANARIES["address"]
            ),
            perpetrators=[
                PerpetratorDetails(
                    name=CANARIES["perpetrator"],
                    relationship=Relationship.objects.get(code="ex-partner"),
                )
            ],
        ),
    )
    referral = casework.refer_case(
        case=case,
        actor=other,
        request=ReferralRequest(organisation=cso, consent=True, reason=CANARIES["story"]),
    )
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        casework.flag_overdue_referrals()
    casework.accept_referral(referral=referral, actor=cso_rep)
    casework.add_follow_up(
        case=case,
        actor=cso_rep,
        entry=FollowUpEntry(FollowUpKind.objects.get(code="call-back"), timezone.now()),
    )
    casework.remind_due_follow_ups()
    casework.resolve_case(
        case=case, actor=cso_rep, remark=CANARIES["story"], follow_ups="hand_over"
    )
    casework.send_back(case=case, actor=other, remark=CANARIES["story"])


def test_a_message_the_provider_could_not_deliver_is_flagged_to_supervisors_once(
    helpline, operator, supervisor, django_capture_on_commit_callbacks
) -> None:
    from notifications.services import record_delivery, reply_to_victim

    case = victim_case(helpline, operator)
    with django_capture_on_commit_callbacks(execute=True):
        sent = reply_to_victim(case=case, actor=operator, channel="sms", text="Made-up reply")
    Notification.objects.filter(pk=sent.pk).update(provider_id="SM" + "4" * 32)

    for _ in range(2):  # Twilio may report the same failure twice
        record_delivery(
            key=str(sent.idempotency_key), provider_id="SM" + "4" * 32, status="undelivered"
        )

    sent.refresh_from_db()
    assert sent.status == Notification.Status.FAILED
    assert sent.last_error == "The provider reported undelivered"
    (told,) = alerts("outbox.failed")
    assert told.recipient == supervisor
    assert told.text == f"A message to the victim of {case.number} could not be sent"
