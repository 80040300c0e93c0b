"""A partner's pages: its events, unmatched first, with a form to match one to a case, and the
webhooks sent to it with every try and a "retry now" for given-up ones. For the supervisors and
administrators of the partner's helpline; everyone else gets 404."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import User
from cases.models import ExternalEvent
from feeds.models import DeliveryAttempt, PartnerDelivery, PartnerEvent, PartnerEventType
from feeds.partners import IncomingEvent, receive_event
from notifications.models import Notification
from tests.factories import OrganisationFactory, StaffFactory
from tests.feeds.partner_helpers import (
    CRIME_REFERENCE,
    case_with_victim,
    give_crime_number,
    loopback_receiver,
    make_partner,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(helpline):
    return make_partner(helpline, url="https://crime.example.invalid/lantern/")


def send(partner, event_id: str, reference: str, type: str = "suspect_charged") -> PartnerEvent:
    event, _ = receive_event(
        partner=partner,
        event=IncomingEvent(
            event_id=event_id,
            type=PartnerEventType.objects.get(code=type),
            occurred_at=timezone.now(),
            crime_reference=reference,
        ),
    )
    return event


@pytest.fixture
def events(partner, helpline, supervisor):
    case = case_with_victim(helpline)
    give_crime_number(case, supervisor)
    applied = send(partner, "evt-applied", CRIME_REFERENCE)
    waiting = send(partner, "evt-waiting", "CL/17/555555", type="court_date_set")
    return applied, waiting


def test_supervisors_see_the_events_unmatched_first(otp_client, supervisor, partner, events):
    applied, waiting = events
    response = otp_client(supervisor).get(f"/partners/{partner.slug}/events/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 unmatched" in page
    assert page.index("Court date set") < page.index("Suspect charged")
    assert applied.case.number in page
    assert "CL/17/555555" in page
    assert f"/partners/{partner.slug}/events/{waiting.pk}/match/" in page
    assert f"/events/{applied.pk}/match/" not in page


def test_administrators_see_the_events_without_crime_references(
    otp_client, admin_user, partner, events
):
    response = otp_client(admin_user).get(f"/partners/{partner.slug}/events/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "CL/17/555555" not in page
    assert CRIME_REFERENCE not in page


@pytest.mark.parametrize("who", ["operator", "cso_rep", "monitor", "other_supervisor"])
def test_others_get_404(otp_client, partner, events, who, request):
    if who == "other_supervisor":
        elsewhere = OrganisationFactory(slug="elsewhere")
        user = StaffFactory(organisation=elsewhere, role=User.Role.SUPERVISOR)
    else:
        user = request.getfixturevalue(who)
    client = otp_client(user)
    assert client.get(f"/partners/{partner.slug}/events/").status_code == 404
    assert client.get(f"/partners/{partner.slug}/deliveries/").status_code == 404
    waiting = events[1]
    response = client.post(f"/partners/{partner.slug}/events/{waiting.pk}/match/", {"case": "x"})
    assert response.status_code == 404
    waiting.refresh_from_db()
    assert waiting.outcome == "unmatched"


def test_an_unknown_partner_is_404(otp_client, supervisor):
    assert otp_client(supervisor).get("/partners/nobody/events/").status_code == 404


def test_a_supervisor_matches_an_unmatched_event_to_a_case(
    otp_client, supervisor, partner, events, helpline, django_capture_on_commit_callbacks
):
    waiting = events[1]
    case = case_with_victim(helpline)
    with django_capture_on_commit_callbacks(execute=True):
        response = otp_client(supervisor).post(
            f"/partners/{partner.slug}/events/{waiting.pk}/match/",
            {"case": case.number},
            follow=True,
        )

    assert f"The event is now on case {case.number}." in response.content.decode()
    waiting.refresh_from_db()
    assert (waiting.case, waiting.outcome) == (case, "reconciled")
    entry = ExternalEvent.objects.get(case=case)
    history = entry.history.get()
    assert history.history_user == supervisor
    assert history.history_change_reason == (
        "Court date set (City Police crime system); matched to this case by hand"
    )
    assert Notification.objects.filter(case=case, kind="victim.partner_court_date_set").count() == 1


@pytest.mark.parametrize("number", ["LNT-2026-999999", "", "elsewhere"])
def test_a_case_the_supervisor_cannot_see_is_refused(
    otp_client, supervisor, partner, events, number
):
    if number == "elsewhere":
        number = case_with_victim(OrganisationFactory(slug="elsewhere")).number
    waiting = events[1]
    response = otp_client(supervisor).post(
        f"/partners/{partner.slug}/events/{waiting.pk}/match/", {"case": number}, follow=True
    )
    assert "No case with that number that you can see." in response.content.decode()
    waiting.refresh_from_db()
    assert (waiting.case, waiting.outcome) == (None, "unmatched")
    assert ExternalEvent.objects.count() == 1  # the applied event's only


def test_a_matched_event_cannot_be_matched_again(otp_client, supervisor, partner, events, helpline):
    applied = events[0]
    other = case_with_victim(helpline)
    response = otp_client(supervisor).post(
        f"/partners/{partner.slug}/events/{applied.pk}/match/", {"case": other.number}
    )
    assert response.status_code == 404
    applied.refresh_from_db()
    assert applied.outcome == "applied"


def test_the_delivery_log_shows_each_webhook_and_its_tries(
    otp_client, supervisor, partner, helpline
):
    case = case_with_victim(helpline)
    sent = PartnerDelivery.objects.create(
        partner=partner, type="victim.message", case=case, payload={}, status="sent", attempts=1
    )
    DeliveryAttempt.objects.create(delivery=sent, status_code=200, duration_ms=41)
    failed = PartnerDelivery.objects.create(
        partner=partner, type="victim.message", case=case, payload={}, status="failed", attempts=2
    )
    DeliveryAttempt.objects.create(
        delivery=failed, status_code=503, error="The partner answered 503", duration_ms=12
    )
    DeliveryAttempt.objects.create(
        delivery=failed, status_code=None, error="No answer within 10 s", duration_ms=10000
    )

    response = otp_client(supervisor).get(f"/partners/{partner.slug}/deliveries/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Delivered" in page
    assert "Gave up" in page
    assert "The partner answered 503" in page
    assert "No answer within 10 s" in page
    assert "41 ms" in page
    assert case.number in page
    assert page.count("Retry now") == 1
    assert f"/deliveries/{failed.pk}/retry/" in page


def test_retry_now_sends_a_given_up_webhook_again(
    otp_client, supervisor, helpline, settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True  # the loopback receiver speaks plain http
    with loopback_receiver() as receiver:
        partner = make_partner(helpline, url=receiver.url)
        case = case_with_victim(helpline)
        failed = PartnerDelivery.objects.create(
            partner=partner,
            type="victim.message",
            case=case,
            payload={"case": case.number, "crime_reference": "", "occurred_at": "", "data": {}},
            status="failed",
            attempts=8,
        )
        client = otp_client(supervisor)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/partners/{partner.slug}/deliveries/{failed.pk}/retry/", follow=True
            )
        assert "The webhook will be sent again now." in response.content.decode()
        failed.refresh_from_db()
        assert (failed.status, failed.attempts) == ("sent", 1)
        assert [r.signed for r in receiver.received] == [True]

        again = client.post(f"/partners/{partner.slug}/deliveries/{failed.pk}/retry/", follow=True)
        assert "Only a webhook that was given up can be retried." in again.content.decode()
        assert len(receiver.received) == 1


def test_pages_change_nothing_on_get(otp_client, supervisor, partner, events):
    waiting = events[1]
    client = otp_client(supervisor)
    assert client.get(f"/partners/{partner.slug}/events/{waiting.pk}/match/").status_code == 405


def test_the_list_shows_my_helplines_partners_with_what_waits(
    otp_client, supervisor, partner, events, helpline
):
    make_partner(OrganisationFactory(slug="elsewhere"), slug="county-police")
    PartnerDelivery.objects.create(
        partner=partner, type="victim.message", payload={}, status="failed"
    )
    response = otp_client(supervisor).get("/partners/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "City Police crime system" in page
    assert "county-police" not in page
    assert "1 unmatched" in page
    assert "1 given up" in page


@pytest.mark.parametrize("who", ["operator", "cso_rep", "monitor"])
def test_the_list_is_404_to_those_who_manage_no_feeds(otp_client, partner, who, request):
    assert otp_client(request.getfixturevalue(who)).get("/partners/").status_code == 404
