"""Events from a partner's crime system (CONTRACT "Police and partner feeds"): signed with a real
HMAC over the raw body, kept once per event_id, applied to the case holding the crime reference
(a timeline entry, and an update in the victim's portal with a neutral notice through the
safe-contact gate where an update message type has the event) or kept for reconciliation."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import User
from cases.models import Case, ExternalEvent
from cases.selectors import case_history
from cases.timeline import readable
from feeds import partner_api, webhooks
from feeds.models import PartnerEvent, PartnerEventType
from feeds.partners import rotate_secret
from notifications.models import Notification
from portal.models import PortalUpdate, UpdateType
from tests.factories import OrganisationFactory, StaffFactory
from tests.feeds.partner_helpers import (
    CRIME_REFERENCE,
    SECRET,
    case_with_victim,
    event_body,
    give_crime_number,
    make_partner,
    post_event,
    seed_again,
    signature,
)

pytestmark = pytest.mark.django_db

CHARGED = "victim.partner_suspect_charged"  # the notice of the seeded "Police: Suspect charged"


@pytest.fixture
def partner(helpline):
    return make_partner(helpline)


@pytest.fixture
def case(helpline, supervisor):
    case = case_with_victim(helpline)
    give_crime_number(case, supervisor)
    return case


def nothing_stored() -> bool:
    return not PartnerEvent.objects.exists() and not ExternalEvent.objects.exists()


def test_an_event_on_a_known_crime_reference_is_applied(
    client, partner, case, settings, captured_broadcasts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, event_body())

    assert response.status_code == 202
    assert response.json() == {"status": "applied"}
    event = PartnerEvent.objects.get()
    assert (event.case, event.outcome, event.type) == (case, "applied", "suspect_charged")
    entry = ExternalEvent.objects.get(case=case)
    assert (entry.source, entry.kind, entry.label) == (
        "City Police crime system",
        "suspect_charged",
        "Suspect charged",
    )
    assert entry.data == {"officer_note": "made-up note"}
    assert entry.history.get().history_change_reason == "Suspect charged (City Police crime system)"
    update = PortalUpdate.objects.get(case=case)
    assert (update.update_type.code, update.title) == ("partner_suspect_charged", "Suspect charged")
    notice = Notification.objects.get(case=case, kind=CHARGED)
    assert update.notice == notice
    assert notice.status == Notification.Status.SENT  # delivered after commit (outbox)
    assert (
        notice.text
        == f"You have a new update. Sign in to see it: {settings.PUBLIC_BASE_URL}/portal/"
    )
    assert CRIME_REFERENCE not in notice.text
    assert [event["type"] for _, event in captured_broadcasts if "case" in event] == [
        "case.updated"
    ]


def test_the_timeline_says_what_the_crime_system_told_us(client, partner, case, supervisor):
    post_event(client, event_body(type="court_date_set"))

    # the case's own timeline, as its page reads it
    lines = readable(case_history(supervisor, case))
    [line] = [line for line in lines if line.what == "Update from a crime system"]
    assert line.reason == "Court date set (City Police crime system)"
    assert line.by == ""


@pytest.mark.parametrize(
    "how",
    [
        "wrong secret",
        "no signature",
        "not sha256",
        "unknown partner",
        "inactive partner",
        "no partner",
    ],
)
def test_a_bad_signature_or_partner_is_403_and_nothing_is_stored(
    client, partner, case, how, caplog
):
    body = json.dumps(event_body()).encode()
    kwargs: dict = {}
    if how == "wrong secret":
        kwargs["secret"] = "not-the-secret"
    elif how == "no signature":
        kwargs["secret"] = ""
    elif how == "not sha256":
        kwargs["sign_with"] = signature(body).replace("sha256=", "")
    elif how == "unknown partner":
        kwargs["slug"] = "nobody"
    elif how == "no partner":
        kwargs["slug"] = ""
    else:
        partner.is_active = False
        partner.save()
    with caplog.at_level(logging.INFO):
        response = post_event(client, body, **kwargs)

    assert response.status_code == 403
    assert response.json() == {"detail": "Forbidden."}
    assert nothing_stored()
    assert not Notification.objects.filter(case=case).exists()
    assert "officer_note" not in caplog.text
    assert CRIME_REFERENCE not in caplog.text


def test_a_signature_over_other_bytes_is_refused(client, partner, case):
    signed = json.dumps(event_body())
    sent = json.dumps(event_body(type="no_further_action")).encode()
    response = post_event(client, sent, sign_with=signature(signed.encode()))
    assert response.status_code == 403
    assert nothing_stored()


def test_the_previous_secret_works_during_the_overlap_and_not_after(
    client, partner, case, settings
):
    settings.PARTNER_SECRET_OVERLAP_HOURS = 72
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        new = rotate_secret(partner=partner)
        assert post_event(client, event_body("old-1"), secret=SECRET).status_code == 202
        assert post_event(client, event_body("new-1"), secret=new).status_code == 202

        traveller.shift(timedelta(hours=71, minutes=59))
        assert post_event(client, event_body("old-2"), secret=SECRET).status_code == 202

        traveller.shift(timedelta(minutes=2))
        assert post_event(client, event_body("old-3"), secret=SECRET).status_code == 403
        assert post_event(client, event_body("new-2"), secret=new).status_code == 202
    assert set(PartnerEvent.objects.values_list("event_id", flat=True)) == {
        "old-1",
        "new-1",
        "old-2",
        "new-2",
    }


def test_a_replay_is_200_and_changes_nothing(client, partner, case):
    first = post_event(client, event_body())
    # the same event_id again, even with other words: the first one stands
    again = post_event(client, event_body(type="no_further_action", data={"other": "words"}))

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"status": "applied"}
    assert PartnerEvent.objects.count() == 1
    assert PartnerEvent.objects.get().type == "suspect_charged"
    assert ExternalEvent.objects.count() == 1
    assert Notification.objects.filter(kind=CHARGED).count() == 1
    assert PortalUpdate.objects.count() == 1


def test_the_same_event_id_from_another_partner_is_its_own(client, helpline, partner, case):
    make_partner(helpline, slug="county-police")
    assert post_event(client, event_body()).status_code == 202
    assert post_event(client, event_body(), slug="county-police").status_code == 202
    assert PartnerEvent.objects.count() == 2


@pytest.mark.real_services
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_event_at_once_make_one_row(require_postgresql, helpline, supervisor):
    seed_again()
    make_partner(helpline)
    give_crime_number(case_with_victim(helpline), supervisor)
    workers = 6
    barrier = threading.Barrier(workers)
    body = json.dumps(event_body("evt-race")).encode()

    def deliver(_: int) -> int:
        barrier.wait()  # all at once, so the inserts really race
        try:
            return post_event(Client(), body).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(workers) as pool:
        codes = sorted(pool.map(deliver, range(workers)))

    assert codes == [200] * (workers - 1) + [202]
    assert PartnerEvent.objects.count() == 1
    assert ExternalEvent.objects.count() == 1
    assert Notification.objects.filter(kind=CHARGED).count() == 1
    assert PortalUpdate.objects.count() == 1


def test_an_unknown_crime_reference_is_kept_and_reconciled_by_the_sweep(
    client, helpline, partner, supervisor, django_capture_on_commit_callbacks
):
    response = post_event(client, event_body(crime_reference="CL/17/999999"))
    assert response.status_code == 202
    assert response.json() == {"status": "unmatched"}
    event = PartnerEvent.objects.get()
    assert (event.case, event.outcome) == (None, "unmatched")
    assert not ExternalEvent.objects.exists()

    case = case_with_victim(helpline)
    webhooks.sweep()  # no case holds it yet: still waiting
    event.refresh_from_db()
    assert event.outcome == "unmatched"

    give_crime_number(case, supervisor, value="cl/17/999 999")  # as a caseworker typed it
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.sweep()

    event.refresh_from_db()
    assert (event.case, event.outcome) == (case, "reconciled")
    entry = ExternalEvent.objects.get(case=case)
    assert entry.history.get().history_change_reason == (
        "Suspect charged (City Police crime system); matched once the case had its crime number"
    )
    assert Notification.objects.filter(case=case, kind=CHARGED).count() == 1
    webhooks.sweep()  # nothing more to do
    assert ExternalEvent.objects.count() == 1


def test_a_crime_number_on_two_cases_waits_for_a_person(client, helpline, partner, supervisor):
    for _ in range(2):
        give_crime_number(case_with_victim(helpline), supervisor)
    assert post_event(client, event_body()).json() == {"status": "unmatched"}
    webhooks.sweep()
    assert PartnerEvent.objects.get().outcome == "unmatched"


def test_an_event_on_a_merged_case_lands_on_the_case_it_was_merged_into(
    client, helpline, partner, supervisor
):
    merged, kept = case_with_victim(helpline), case_with_victim(helpline)
    give_crime_number(merged, supervisor)
    give_crime_number(kept, supervisor)  # both held it: they were the same matter
    Case.objects.filter(pk=merged.pk).update(status=Case.Status.MERGED, merged_into=kept)

    assert post_event(client, event_body("e1")).json() == {"status": "applied"}
    by_number = event_body("e2", crime_reference="", case=merged.number)
    assert post_event(client, by_number).json() == {"status": "applied"}
    assert set(PartnerEvent.objects.values_list("case", flat=True)) == {kept.pk}
    assert not ExternalEvent.objects.filter(case=merged).exists()


def test_a_case_of_another_helpline_is_never_matched(client, partner):
    elsewhere = OrganisationFactory(slug="elsewhere", name="Elsewhere Line")
    theirs = case_with_victim(elsewhere)
    their_supervisor = StaffFactory(organisation=elsewhere, role=User.Role.SUPERVISOR)
    give_crime_number(theirs, their_supervisor)  # the reference is on their case, not ours

    by_reference = post_event(client, event_body("e1"))
    by_number = post_event(client, event_body("e2", crime_reference="", case=theirs.number))

    assert by_reference.json() == by_number.json() == {"status": "unmatched"}
    assert not ExternalEvent.objects.exists()


def test_an_event_may_name_our_case_number(client, partner, helpline):
    case = case_with_victim(helpline)
    response = post_event(client, event_body(crime_reference="", case=case.number.lower()))
    assert response.json() == {"status": "applied"}
    assert PartnerEvent.objects.get().case == case


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        # did not ask for updates: the update is in the portal, the notice kept as not sent
        ({"contact": "allowed", "channels": ["sms"]}, "suppressed"),
        ({"contact": "none", "updates": True}, "suppressed"),
        (
            {"contact": "allowed", "channels": ["sms"], "no_text": True, "updates": True},
            "suppressed",
        ),
        ({"contact": "allowed", "channels": ["sms"], "updates": True}, "pending"),
    ],
)
def test_the_victims_update_goes_through_the_safe_contact_gate(
    client, helpline, partner, supervisor, preferences, expected
):
    case = case_with_victim(helpline, preferences)
    give_crime_number(case, supervisor)
    assert post_event(client, event_body()).status_code == 202

    notices = Notification.objects.filter(case=case, kind=CHARGED)
    assert list(notices.values_list("status", flat=True)) == [expected]
    assert ExternalEvent.objects.filter(case=case).exists()  # the timeline has it either way
    assert PortalUpdate.objects.filter(case=case).count() == 1  # and so does the portal


def test_outside_the_victims_safe_hours_the_update_is_held_until_they_open(
    client, helpline, partner, supervisor, django_capture_on_commit_callbacks
):
    preferences = {
        "contact": "allowed", "channels": ["sms"], "updates": True,
        "safe_from": "03:00", "safe_until": "04:00",
    }  # fmt: skip
    case = case_with_victim(helpline, preferences)
    give_crime_number(case, supervisor)
    with (
        time_machine.travel(datetime(2026, 6, 1, 12, 0, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert post_event(client, event_body()).status_code == 202

    update = Notification.objects.get(case=case, kind=CHARGED)
    assert update.status == Notification.Status.PENDING  # not sent at noon
    assert update.not_before is not None
    assert timezone.localtime(update.not_before).strftime("%H:%M") == "03:00"


def test_an_event_no_active_update_type_answers_only_reaches_the_timeline(client, partner, case):
    UpdateType.objects.filter(trigger="partner_event", event="court_date_set").update(
        is_active=False
    )
    PartnerEventType.objects.create(code="made_up_bail_review", label="Made-up bail review")

    assert post_event(client, event_body("e1", type="court_date_set")).status_code == 202
    assert post_event(client, event_body("e2", type="made_up_bail_review")).status_code == 202

    assert ExternalEvent.objects.filter(case=case).count() == 2
    assert not PortalUpdate.objects.exists()
    assert not Notification.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "detail"),
        (b"[1, 2]", "detail"),
        (json.dumps(event_body(event_id="")).encode(), "event_id"),
        (
            json.dumps({k: v for k, v in event_body().items() if k != "event_id"}).encode(),
            "event_id",
        ),
        (json.dumps(event_body(type="suspect_arrested")).encode(), "type"),
        (json.dumps(event_body(crime_reference="")).encode(), "crime_reference"),
        (json.dumps(event_body(occurred_at="2026-11-30T14:05:00")).encode(), "occurred_at"),
        (json.dumps(event_body(occurred_at="last Tuesday")).encode(), "occurred_at"),
        (json.dumps(event_body(data=["a list"])).encode(), "data"),
        (json.dumps(event_body(crime_reference="CL/17\u0000/1")).encode(), "detail"),
        (json.dumps(event_body(event_id="x" * 129)).encode(), "event_id"),
    ],
)
def test_a_bad_body_is_400_with_a_clear_message_and_nothing_is_stored(
    client, partner, case, body, field
):
    response = post_event(client, body)
    assert response.status_code == 400
    assert field in response.json()
    assert CRIME_REFERENCE not in response.content.decode()
    assert nothing_stored()


@pytest.mark.parametrize(
    "when", ["2026-11-30T14:05:00Z", "2026-11-30T14:05:00.250+01:00", "2026-11-30 14:05+0100"]
)
def test_times_in_any_iso_form_with_a_zone_are_taken(client, partner, case, when):
    response = post_event(client, event_body(occurred_at=when))
    assert response.status_code == 202
    assert PartnerEvent.objects.get().occurred_at.utcoffset() is not None


def test_a_retired_type_is_refused(client, partner, case):
    PartnerEventType.objects.filter(code="suspect_charged").update(is_active=False)
    response = post_event(client, event_body())
    assert response.status_code == 400
    assert "type" in response.json()


def test_a_replay_after_its_type_was_retired_is_still_200_and_nothing_new(client, partner, case):
    assert post_event(client, event_body()).status_code == 202
    PartnerEventType.objects.filter(code="suspect_charged").update(is_active=False)

    again = post_event(client, event_body())

    assert again.status_code == 200
    assert again.json() == {"status": "applied"}
    assert PartnerEvent.objects.count() == 1


def test_a_body_over_the_limit_is_413(client, partner, case, settings):
    settings.PARTNER_EVENT_MAX_BYTES = 512
    response = post_event(client, event_body(data={"padding": "x" * 600}))
    assert response.status_code == 413
    assert nothing_stored()


def test_only_post_is_answered(client, partner):
    assert client.get("/api/v1/partner/events/").status_code == 405


def test_a_partner_over_its_rate_is_429_and_others_are_not(
    client, helpline, case, settings, monkeypatch
):
    settings.RATELIMIT_ENABLE = True
    monkeypatch.setattr(partner_api, "RATE", "2/m")
    # slugs of this run only: the counts live in the cache (Redis on the real parts) for a minute
    busy, quiet = (f"busy-{uuid.uuid4().hex[:8]}", f"quiet-{uuid.uuid4().hex[:8]}")
    make_partner(helpline, slug=busy)
    make_partner(helpline, slug=quiet)

    codes = [post_event(client, event_body(f"e{i}"), slug=busy).status_code for i in range(3)]
    assert codes == [202, 202, 429]
    assert post_event(client, event_body("e9"), slug=busy)["Retry-After"] == "60"
    assert post_event(client, event_body("q1"), slug=quiet).status_code == 202
    # an unsigned sender cannot use up a partner's allowance
    assert post_event(client, event_body("x"), slug=quiet, secret="wrong").status_code == 403
    assert post_event(client, event_body("q2"), slug=quiet).status_code == 202
