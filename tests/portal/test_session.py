"""The portal session (SECURITY AUTH-06, DP-06): a new session key at sign-in, a cookie that ends
with the browser, PORTAL_IDLE_MINUTES without a request ends it, sign-out and "Leave this site"
end it on the server and tell the browser to forget the site, and no portal answer may be kept
by a cache. All names and numbers are made up."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from notifications.models import Notification
from portal import codes, session
from portal.models import PortalAccess
from tests.portal.conftest import sign_in_as

pytestmark = pytest.mark.django_db

GROUPED_CODE = re.compile(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{2,4}){6}\b")
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


@pytest.fixture(autouse=True)
def _fresh_rate_limit_cache(settings) -> None:
    # Each test counts from zero, in the cache the settings name (Redis in the real-parts run).
    configured = settings.CACHES["default"]
    settings.CACHES = {"default": {**configured, "KEY_PREFIX": f"portal-session-{uuid.uuid4()}"}}


def sign_in(client: Client, access: PortalAccess):
    client.post("/portal/sign-in/", {"reference": access.case.number})
    row = Notification.objects.filter(kind="victim.sign_in_code").latest("pk")
    return client.post("/portal/sign-in/code/", {"code": GROUPED_CODE.search(row.text).group(0)})


def session_cookie(client: Client):
    return client.cookies[django_settings.SESSION_COOKIE_NAME]


def test_signing_in_gives_a_new_session_key(client, portal_access) -> None:
    # given: a session already exists from the first step
    client.post("/portal/sign-in/", {"reference": portal_access.case.number})
    before = session_cookie(client).value

    # when
    answer = sign_in(client, portal_access)

    # then
    after = session_cookie(client).value
    assert answer["Location"] == "/portal/"
    assert before != after
    assert not Session.objects.filter(session_key=before).exists()
    # the old key, replayed, is nobody
    thief = Client()
    thief.cookies[session_cookie(client).key] = before
    assert thief.get("/portal/safety/")["Location"] == "/portal/sign-in/"


def test_the_session_cookie_ends_with_the_browser(client, portal_access) -> None:
    first = client.post("/portal/sign-in/", {"reference": portal_access.case.number})
    step_one = first.cookies[session_cookie(client).key]
    answer = sign_in(client, portal_access)
    cookie = answer.cookies[session_cookie(client).key]

    for morsel in (step_one, cookie):
        assert morsel["expires"] == ""
        assert morsel["max-age"] == ""
        assert morsel["httponly"]
        assert morsel["samesite"] == "Lax"


def test_a_session_left_idle_too_long_goes_back_to_sign_in(client, portal_access, settings) -> None:
    settings.PORTAL_IDLE_MINUTES = 15
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, portal_access)

        # a request just inside the idle time keeps the victim in and starts the clock again
        clock.move_to(start + timedelta(minutes=14, seconds=59))
        kept = client.get("/portal/safety/")
        clock.move_to(start + timedelta(minutes=29, seconds=58))
        still = client.get("/portal/safety/")

        # then 15 minutes and 1 second without a request ends it
        clock.move_to(start + timedelta(minutes=44, seconds=59))
        ended = client.get("/portal/safety/")

    assert kept.status_code == still.status_code == 200
    assert ended.status_code == 302
    assert ended["Location"] == "/portal/sign-in/"
    assert session.KEY not in client.session


def test_a_message_written_past_the_idle_time_is_kept_for_after_signing_in_again(
    client, portal_access, settings
) -> None:
    """Twenty minutes to write something hard, then Send: the session has ended, but the words
    are not lost. They wait (encrypted, on the server) for the same victim to sign in again, and
    are offered back, unsent; nobody else signing in on that browser sees them."""
    settings.PORTAL_IDLE_MINUTES = 15
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, portal_access)
        form = client.get("/portal/messages/").content.decode()
        token = re.search(r'name="token" value="([^"]+)"', form).group(1)

        clock.move_to(start + timedelta(minutes=20))
        sent = client.post("/portal/messages/", {"text": "Made-up hard words", "token": token})
        page = client.get(sent["Location"]).content.decode()

        assert sent["Location"] == "/portal/sign-in/"
        assert "signed you out" in page
        assert "kept it" in page
        assert not portal_access.case.reports.filter(channel="portal").exists()
        stored = Session.objects.get(session_key=session_cookie(client).value)
        assert "Made-up hard words" not in stored.session_data
        assert "Made-up hard words" not in str(stored.get_decoded())

        sign_in(client, portal_access)
        again = client.get("/portal/messages/").content.decode()
        later = client.get("/portal/messages/").content.decode()

    assert "Made-up hard words" in again  # offered back in the box, not sent
    assert not portal_access.case.reports.filter(channel="portal").exists()
    assert "Made-up hard words" not in later  # offered once


def test_an_access_ended_by_staff_ends_the_session_at_the_next_request(
    victim_client, portal_access
) -> None:
    assert victim_client.get("/portal/safety/").status_code == 200

    portal_access.status = PortalAccess.Status.REVOKED
    portal_access.save()

    assert victim_client.get("/portal/safety/")["Location"] == "/portal/sign-in/"


def test_a_victim_who_takes_back_their_yes_is_out_at_once_and_gets_no_codes(
    victim_client, portal_access
) -> None:
    """ "He found the texts: stop the portal." Staff untick the answer; the access it opened ends
    with it: the open session at its next request, and no code goes to anyone who types the
    reference."""
    assert victim_client.get("/portal/").status_code == 200
    victim = portal_access.case.people.get(role="victim").person
    victim.contact_preferences = {**victim.contact_preferences, "portal": False}
    victim.save()

    assert victim_client.get("/portal/")["Location"] == "/portal/sign-in/"
    assert codes.send_code(reference=portal_access.case.number) is None
    assert not portal_access.case.messages.filter(kind="victim.sign_in_code").exists()


def test_sign_out_ends_the_session_on_the_server_and_clears_the_site(client, portal_access) -> None:
    # given
    sign_in(client, portal_access)
    key = session_cookie(client).value

    # when
    answer = client.post("/portal/sign-out/")
    page = client.get(answer["Location"])

    # then
    assert answer.status_code == 302
    assert answer["Location"] == "/portal/signed-out/"
    assert answer["Clear-Site-Data"] == CLEAR_SITE_DATA
    assert "no-store" in answer["Cache-Control"]
    assert not Session.objects.filter(session_key=key).exists()
    assert page.status_code == 200
    assert "You have signed out" in page.content.decode()
    assert page["Clear-Site-Data"] == CLEAR_SITE_DATA
    # the old cookie, replayed, is nobody
    again = Client()
    again.cookies[session_cookie(client).key] = key
    assert again.get("/portal/safety/")["Location"] == "/portal/sign-in/"


def test_sign_out_is_a_post_with_the_csrf_token(portal_access) -> None:
    browser = sign_in_as(Client(enforce_csrf_checks=True), portal_access)

    by_link = browser.get("/portal/sign-out/")
    forged = browser.post("/portal/sign-out/")

    assert by_link.status_code == 405
    assert forged.status_code == 403
    assert browser.get("/portal/safety/").status_code == 200  # still signed in


def test_leave_this_site_ends_the_session_and_clears_the_site(victim_client, settings) -> None:
    key = session_cookie(victim_client).value

    answer = victim_client.get("/portal/leave/")

    assert answer.status_code == 302
    assert answer["Location"] == settings.QUICK_EXIT_URL
    assert answer["Clear-Site-Data"] == CLEAR_SITE_DATA
    assert not Session.objects.filter(session_key=key).exists()
    assert victim_client.get("/portal/safety/")["Location"] == "/portal/sign-in/"


def test_every_sign_in_answer_is_never_cached(client, portal_access, settings) -> None:
    settings.PORTAL_ADDRESS_RATE = "6/h"
    answers = {
        "sign-in": client.get("/portal/sign-in/"),
        "sign-in error": client.post("/portal/sign-in/", {"reference": ""}),
        "sign-in sent": client.post("/portal/sign-in/", {"reference": portal_access.case.number}),
        "code": client.get("/portal/sign-in/code/"),
        "code refused": client.post("/portal/sign-in/code/", {"code": "ABCD-EFGH"}),
    }
    answers["signed in"] = sign_in(client, portal_access)
    answers["safety"] = client.get("/portal/safety/")
    answers["sign-out"] = client.post("/portal/sign-out/")
    answers["signed out"] = client.get("/portal/signed-out/")
    answers["leave"] = client.get("/portal/leave/")
    decoy = sign_in_as(Client(), portal_access, decoy=True)
    answers["decoy"] = decoy.get("/portal/safety/")
    for _ in range(3):
        last = client.post("/portal/sign-in/", {"reference": "LNT-1999-000001"})
    answers["too many"] = last

    assert answers["too many"].status_code == 429
    for name, answer in answers.items():
        cache_control = {part.strip() for part in answer["Cache-Control"].split(",")}
        assert {"no-store", "no-cache", "private", "max-age=0"} <= cache_control, name
