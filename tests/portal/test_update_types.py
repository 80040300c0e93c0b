"""Update message types from events (issue 14.5): a case event or a partner's crime-system event
becomes an update on the victim's portal timeline, in their language, and a neutral notice
through the outbox and the safe-contact gate; staff send the "sent by staff" kinds. The notice
says only that there is an update, never what it says (a canary in the update's words is looked
for in everything that leaves). Names, numbers and words are made up."""

from __future__ import annotations

import importlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from cases import events
from cases.events import CASE_EVENTS
from cases.models import Case, Category, FollowUpKind
from cases.workflow import CaseError, NotAllowedError
from notifications.models import Notification
from notifications.selectors import kind_in_words, outbox_rows
from portal.models import PortalAccess, PortalUpdate, UpdateText, UpdateType
from portal.notices import send_notice
from portal.update_forms import UpdateTextForm
from portal.updates import send_staff_update
from referrals.services import FollowUpEntry, add_follow_up
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory
from tests.notifications.fakes import TwilioFake, twilio_fake
from tests.portal.conftest import PREFERENCES, VICTIM_EMAIL, VICTIM_PHONE
from triage.services import Verification, verify_case

pytestmark = pytest.mark.django_db

S = Notification.Status
CANARY = "CANARY-7c1d the officer will phone on Friday. Made-up test words."
NEUTRAL = "You have a new update. Sign in to see it: {link}"


@pytest.fixture
def twilio(settings) -> Iterator[TwilioFake]:
    """The real twilio Client, pointed at a stand-in for Twilio's API on loopback."""
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "ACmadeup0000", "made-up-token"
    with twilio_fake(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN) as fake:
        settings.TWILIO_API_BASE_URL = fake.base_url
        settings.TWILIO_FROM_NUMBER = "+447700900001"
        yield fake


def make_type(
    code: str, *, trigger: str = "case_event", event: str = "", alone: bool = True, **fields
) -> UpdateType:
    """A type with the canary as its portal words; `alone`: the seeded ones on its event retire."""
    if alone:
        UpdateType.objects.filter(trigger=trigger, event=event).update(is_active=False)
    kind = UpdateType.objects.create(
        code=code,
        name=fields.pop("name", code),
        trigger=trigger,
        event=event,
        channels=fields.pop("channels", ["sms", "email"]),
        **fields,
    )
    UpdateText.objects.create(
        update_type=kind, language="en", title=f"Title of {code}", body=CANARY, notice=NEUTRAL
    )
    return kind


def prefer(case: Case, **changes) -> None:
    victim = case.people.get(role="victim").person
    victim.contact_preferences = {**PREFERENCES, **changes}
    victim.save()


def happen(case: Case, event: str, capture, *, source: str = "case", when=None) -> None:
    """The event inside a change's transaction, then the commit and what it queued."""
    with capture(execute=True), transaction.atomic():
        if source == "partner":
            events.partner_event(case=case, event=event)
        else:
            events.case_event(case=case, event=event, when=when)


def close_and_fail(case: Case) -> None:
    with transaction.atomic():
        events.case_event(case=case, event="case_closed")
        raise RuntimeError("the change failed after the event")


# From a case event ----------------------------------------------------------------------------


def test_a_case_event_becomes_an_update_and_a_text_that_only_says_there_is_one(
    portal_case, portal_access, twilio: TwilioFake, settings, django_capture_on_commit_callbacks
) -> None:
    # given
    kind = make_type("made_up_taken_on", event="case_taken_on")

    # when
    happen(portal_case, "case_taken_on", django_capture_on_commit_callbacks)

    # then
    update = PortalUpdate.objects.get(case=portal_case, update_type=kind)
    assert (update.title, update.body, update.sent_by) == (
        "Title of made_up_taken_on",
        CANARY,
        None,
    )
    notice = update.notice
    notice.refresh_from_db()
    assert (notice.channel, notice.status, notice.kind) == (
        "sms",
        S.SENT,
        "victim.made_up_taken_on",
    )
    assert (
        notice.text
        == f"You have a new update. Sign in to see it: {settings.PUBLIC_BASE_URL}/portal/"
    )
    assert notice.automated is True
    (sent,) = twilio.accepted
    assert (sent.to, sent.body) == (VICTIM_PHONE, notice.text)


def test_the_update_and_nothing_of_it_leaves_lantern(
    portal_case, portal_access, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    """The canary is in the update's words: it is in the portal, and in no outbox row, no
    provider request, no email subject."""
    make_type("made_up_canary", event="case_taken_on")
    prefer(portal_case, channels=["email"])

    happen(portal_case, "case_taken_on", django_capture_on_commit_callbacks)

    assert PortalUpdate.objects.get(case=portal_case).body == CANARY
    for row in Notification.objects.filter(case=portal_case):
        assert "CANARY" not in row.text
        assert "CANARY" not in row.subject
    assert all("CANARY" not in request.body for request in twilio.requests)
    (email,) = mail.outbox
    assert email.to == [VICTIM_EMAIL]
    assert "CANARY" not in email.body
    assert "CANARY" not in email.subject


def test_the_seeded_types_answer_the_real_services(
    portal_case, portal_access, operator, django_capture_on_commit_callbacks
) -> None:
    """An appointment set through the follow-up service: the seeded appointment type's update
    says when, in London time, and the notice does not."""
    due = datetime(2026, 7, 14, 9, 30, tzinfo=UTC)  # 10:30 in London (summer time)
    appointment = FollowUpKind.objects.get(code="appointment")

    with django_capture_on_commit_callbacks(execute=True):
        add_follow_up(
            case=portal_case,
            actor=operator,
            entry=FollowUpEntry(kind=appointment, due_at=due, for_victim=True),
        )

    update = PortalUpdate.objects.get(case=portal_case, update_type__code="appointment")
    assert update.body == (
        "You have an appointment on Tuesday 14 July 2026, 10:30. If you cannot make it, send us "
        "a message."
    )
    assert "10:30" not in update.notice.text
    assert "July" not in update.notice.text
    assert update.notice.status in (S.PENDING, S.SENT)


def test_an_appointment_staff_did_not_mark_for_the_victim_tells_them_nothing(
    portal_case, portal_access, operator, django_capture_on_commit_callbacks
) -> None:
    """What the victim is shown is staff's choice: an appointment kept for the team (a meeting
    about the victim, say) is neither an update in the portal nor a notice."""
    appointment = FollowUpKind.objects.get(code="appointment")

    with django_capture_on_commit_callbacks(execute=True):
        add_follow_up(
            case=portal_case,
            actor=operator,
            entry=FollowUpEntry(kind=appointment, due_at=timezone.now() + timedelta(days=2)),
        )

    assert not PortalUpdate.objects.filter(case=portal_case).exists()
    assert not Notification.objects.filter(case=portal_case, person__isnull=False).exists()


def test_a_partner_event_becomes_its_types_update(
    portal_case, portal_access, django_capture_on_commit_callbacks
) -> None:
    happen(portal_case, "suspect_charged", django_capture_on_commit_callbacks, source="partner")

    (update,) = PortalUpdate.objects.filter(case=portal_case)
    assert update.update_type.code == "partner_suspect_charged"
    assert update.title == "Suspect charged"
    assert update.notice.kind == "victim.partner_suspect_charged"


def test_an_event_sets_off_only_the_types_of_its_own_source(
    portal_case, portal_access, django_capture_on_commit_callbacks
) -> None:
    # a partner sending an event coded like a case event, and the reverse
    happen(portal_case, "case_closed", django_capture_on_commit_callbacks, source="partner")
    happen(portal_case, "suspect_charged", django_capture_on_commit_callbacks)

    assert not PortalUpdate.objects.filter(case=portal_case).exists()


def test_two_types_on_one_event_make_two_updates_and_one_notice(
    portal_case, portal_access, django_capture_on_commit_callbacks
) -> None:
    make_type("made_up_first", event="case_closed", alone=False)

    happen(portal_case, "case_closed", django_capture_on_commit_callbacks)

    updates = PortalUpdate.objects.filter(case=portal_case)
    assert {u.update_type.code for u in updates} == {"case_closed", "made_up_first"}
    # one message tells them of both: not two texts at once on a shared phone
    (notice,) = Notification.objects.filter(case=portal_case)
    assert {u.notice for u in updates} == {notice}


def test_an_inactive_type_sends_nothing(
    portal_case, portal_access, django_capture_on_commit_callbacks
) -> None:
    UpdateType.objects.filter(event="case_closed").update(is_active=False)

    happen(portal_case, "case_closed", django_capture_on_commit_callbacks)

    assert not PortalUpdate.objects.filter(case=portal_case).exists()
    assert not Notification.objects.filter(case=portal_case).exists()


def test_a_case_without_a_victim_gets_nothing(helpline, django_capture_on_commit_callbacks) -> None:
    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED)

    happen(case, "case_closed", django_capture_on_commit_callbacks)

    assert not PortalUpdate.objects.filter(case=case).exists()
    assert not Notification.objects.filter(case=case).exists()


def test_a_rolled_back_change_leaves_neither_update_nor_notice(
    portal_case, portal_access, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        close_and_fail(portal_case)

    assert not PortalUpdate.objects.exists()
    assert not Notification.objects.filter(case=portal_case).exists()
    assert twilio.requests == []


# Who is told -----------------------------------------------------------------------------------


def test_a_victim_who_wants_no_updates_keeps_the_update_and_is_not_told(
    portal_case, portal_access, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    prefer(portal_case, updates=False)

    happen(portal_case, "case_closed", django_capture_on_commit_callbacks)

    update = PortalUpdate.objects.get(case=portal_case)
    assert (update.notice.status, update.notice.reason) == (
        S.SUPPRESSED,
        "The victim did not ask for automatic updates.",
    )
    assert twilio.requests == []


@pytest.mark.parametrize("access", ["none", "revoked", "closed long ago"])
def test_without_a_portal_they_can_open_the_update_is_kept_and_no_notice_goes(
    access, portal_case, twilio: TwilioFake, settings, django_capture_on_commit_callbacks
) -> None:
    if access == "revoked":
        PortalAccess.objects.create(case=portal_case, status=PortalAccess.Status.REVOKED)
    elif access == "closed long ago":
        PortalAccess.objects.create(case=portal_case)
        Case.objects.filter(pk=portal_case.pk).update(
            closed_at=timezone.now() - timezone.timedelta(days=settings.PORTAL_GRACE_DAYS + 1)
        )

    happen(portal_case, "referral_accepted", django_capture_on_commit_callbacks)

    update = PortalUpdate.objects.get(case=portal_case)
    assert update.notice is None
    assert not Notification.objects.filter(case=portal_case).exists()
    assert twilio.requests == []


def test_the_first_way_their_answers_allow_is_used(
    portal_case, portal_access, django_capture_on_commit_callbacks
) -> None:
    prefer(portal_case, channels=["email"])  # texts not safe

    happen(portal_case, "case_taken_on", django_capture_on_commit_callbacks)

    notice = PortalUpdate.objects.get(case=portal_case).notice
    assert (notice.channel, notice.subject) == ("email", "Update")


def test_a_welsh_speaker_gets_the_welsh_words(
    portal_case, portal_access, django_capture_on_commit_callbacks
) -> None:
    prefer(portal_case, language="cy")
    kind = make_type("made_up_welsh", event="case_taken_on")
    UpdateText.objects.create(
        update_type=kind,
        language="cy",
        title="Diweddariad ffug",
        body="Geiriau ffug yn Gymraeg.",
        notice="Mae gennych ddiweddariad newydd: {link}",
    )

    happen(portal_case, "case_taken_on", django_capture_on_commit_callbacks)

    update = PortalUpdate.objects.get(case=portal_case, update_type=kind)
    assert (update.title, update.body) == ("Diweddariad ffug", "Geiriau ffug yn Gymraeg.")
    assert update.notice.text.startswith("Mae gennych ddiweddariad newydd: ")


def test_a_language_without_words_falls_back_to_english(
    portal_case, portal_access, django_capture_on_commit_callbacks
) -> None:
    prefer(portal_case, language="so")

    happen(portal_case, "case_resolved", django_capture_on_commit_callbacks)

    update = PortalUpdate.objects.get(case=portal_case)
    assert update.title == "Your case is nearly finished"


# Sent by staff ---------------------------------------------------------------------------------


def test_the_operator_holding_the_case_sends_a_staff_update(
    portal_case, portal_access, operator, django_capture_on_commit_callbacks
) -> None:
    prefer(portal_case, updates=False)  # a person chose to send it: no wish for updates needed
    kind = UpdateType.objects.get(code="please_contact_us")

    with django_capture_on_commit_callbacks(execute=True):
        update = send_staff_update(case=portal_case, update_type=kind, actor=operator)

    assert (update.title, update.sent_by) == ("Please get in touch", operator)
    update.notice.refresh_from_db()
    assert (update.notice.status, update.notice.sent_by) == (S.SENT, operator)
    assert update.notice.automated is False


@pytest.mark.parametrize("who", ["other_operator", "cso_rep", "monitor"])
def test_staff_who_cannot_change_the_case_cannot_send_it_an_update(
    who, request, portal_case, portal_access
) -> None:
    actor = request.getfixturevalue(who)

    with pytest.raises(NotAllowedError):
        send_staff_update(
            case=portal_case,
            update_type=UpdateType.objects.get(code="court_date_set"),
            actor=actor,
        )

    assert not PortalUpdate.objects.exists()
    assert not Notification.objects.filter(case=portal_case).exists()


@pytest.mark.parametrize("code", ["case_closed", "sign_in_code", "partner_court_date_set"])
def test_only_staff_kinds_are_sent_by_hand(code, portal_case, portal_access, operator) -> None:
    with pytest.raises(CaseError, match="Choose one of the updates staff send"):
        send_staff_update(
            case=portal_case, update_type=UpdateType.objects.get(code=code), actor=operator
        )

    assert not PortalUpdate.objects.exists()


def test_a_retired_staff_kind_is_not_sent(portal_case, portal_access, operator) -> None:
    kind = UpdateType.objects.get(code="court_date_set")
    kind.is_active = False
    kind.save()

    with pytest.raises(CaseError):
        send_staff_update(case=portal_case, update_type=kind, actor=operator)

    assert not PortalUpdate.objects.exists()


# One message for several things at once ---------------------------------------------------------


def test_a_verification_sends_the_invitation_and_its_update_rides_on_it(
    helpline, operator, twilio: TwilioFake, django_capture_on_commit_callbacks
) -> None:
    case = CaseFactory(helpline=helpline, status=Case.Status.IN_TRIAGE, claimed_by=operator)
    victim = PersonFactory(phone=VICTIM_PHONE, contact_preferences=dict(PREFERENCES))
    CasePersonFactory(case=case, person=victim)

    with django_capture_on_commit_callbacks(execute=True):
        verify_case(
            case=case,
            actor=operator,
            verification=Verification(
                category=Category.objects.get(code="physical"), priority="high"
            ),
        )

    update = PortalUpdate.objects.get(case=case, update_type__code="case_taken_on")
    assert update.notice.kind == "victim.portal_invitation"
    assert len(twilio.accepted) == 1  # the invitation alone


def test_a_minute_later_an_update_has_its_own_notice(
    portal_case, portal_access, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(datetime(2026, 5, 5, 10, 0, tzinfo=UTC), tick=False) as clock:
        happen(portal_case, "case_taken_on", django_capture_on_commit_callbacks)
        clock.shift(timedelta(seconds=61))
        happen(portal_case, "case_closed", django_capture_on_commit_callbacks)

    first, second = PortalUpdate.objects.filter(case=portal_case).order_by("pk")
    assert first.notice != second.notice
    assert Notification.objects.filter(case=portal_case).count() == 2


def test_a_refused_notice_is_not_reused_for_one_staff_send(
    portal_case, portal_access, operator, django_capture_on_commit_callbacks
) -> None:
    prefer(portal_case, updates=False)
    happen(portal_case, "case_taken_on", django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        sent = send_staff_update(
            case=portal_case,
            update_type=UpdateType.objects.get(code="please_contact_us"),
            actor=operator,
        )

    automatic = PortalUpdate.objects.get(update_type__code="case_taken_on")
    assert automatic.notice.status == S.SUPPRESSED
    sent.notice.refresh_from_db()
    assert sent.notice != automatic.notice
    assert sent.notice.status == S.SENT


def test_a_sign_in_code_just_sent_does_not_stand_for_an_update(
    portal_case, portal_access, django_capture_on_commit_callbacks
) -> None:
    with transaction.atomic():
        code = send_notice(
            case=portal_case,
            update_type=UpdateType.objects.get(code="sign_in_code"),
            automated=False,
            values={"code": "made-up-code", "minutes": "10"},
            now_only=True,
        )

    happen(portal_case, "case_closed", django_capture_on_commit_callbacks)

    update = PortalUpdate.objects.get(case=portal_case)
    assert update.notice not in (None, code)
    assert update.notice.kind == "victim.case_closed"


# In the supervisor's outbox --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("victim.case_closed", "Automatic update: Case closed"),
        ("victim.partner_suspect_charged", "Automatic update: Police: Suspect charged"),
        ("victim.please_contact_us", "Update sent by staff: Please contact us"),
        ("victim.sign_in_code", "Sign-in code"),
        ("victim.reply", "Written by staff"),
        ("victim.made_up_unknown", "victim.made_up_unknown"),
    ],
)
def test_the_outbox_names_a_notice_by_its_types_name(kind, words) -> None:
    assert kind_in_words(kind) == words


def test_a_renamed_type_is_named_anew() -> None:
    UpdateType.objects.filter(code="case_closed").update(name="Made-up: we closed it")

    assert kind_in_words("victim.case_closed") == "Automatic update: Made-up: we closed it"


def test_a_page_of_the_outbox_reads_each_kinds_name_once(django_assert_max_num_queries) -> None:
    rows = [
        Notification.objects.create(channel="sms", kind=kind, text="Made-up notice")
        for kind in ["victim.case_closed", "victim.case_taken_on"] * 10
    ]

    with django_assert_max_num_queries(2):
        shown = outbox_rows(rows)

    assert {row.kind for row in shown} == {
        "Automatic update: Case closed",
        "Automatic update: Case taken on",
    }


# The seed ---------------------------------------------------------------------------------------


def test_the_models_and_migrations_agree() -> None:
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # SystemExit if not

    assert "No changes detected" in out.getvalue()


def test_every_case_event_and_seeded_partner_event_has_a_type() -> None:
    seeded = UpdateType.objects.filter(is_active=True)

    assert set(CASE_EVENTS) <= set(
        seeded.filter(trigger="case_event").values_list("event", flat=True)
    )
    assert set(seeded.filter(trigger="partner_event").values_list("event", flat=True)) == {
        "suspect_charged",
        "court_date_set",
        "no_further_action",
    }
    assert seeded.filter(trigger="staff").count() >= 3


def test_the_seeded_words_pass_the_admins_own_checks() -> None:
    for text in UpdateText.objects.select_related("update_type"):
        kind = text.update_type
        form = UpdateTextForm(
            data={f: getattr(text, f) for f in ("language", "title", "body", "subject", "notice")}
        )
        assert form.is_valid(), (kind.code, form.errors)
        form.check_words(kind.trigger, kind.event, kind.code)
        assert not form.errors, (kind.code, text.language, form.errors)


def test_seeding_again_after_a_flush_adds_nothing_twice() -> None:
    from django.apps import apps

    before = (UpdateType.objects.count(), UpdateText.objects.count())

    importlib.import_module("portal.migrations.0003_update_types").seed(apps, None)

    assert (UpdateType.objects.count(), UpdateText.objects.count()) == before
