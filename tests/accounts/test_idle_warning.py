"""The warning before an idle sign-out (UX.md 47): pages tell static/js/idle.js how long the session
has left, "Stay signed in" posts to the keepalive, which starts the idle clock again; the server's
limits stay the rule."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

KEEPALIVE = "/accounts/keepalive/"


def _body(page: str) -> str:
    return re.search(r"<body[^>]*>", page).group(0)


def test_pages_say_how_long_the_session_has_left(operator, otp_client) -> None:
    page = otp_client(operator).get("/cases/").content.decode()
    body = _body(page)
    assert f'data-idle-seconds="{settings.SESSION_IDLE_SECONDS}"' in body
    assert 'data-keepalive-url="/accounts/keepalive/"' in body
    left = int(re.search(r'data-idle-left="(\d+)"', body).group(1))
    assert settings.SESSION_IDLE_SECONDS - 5 <= left <= settings.SESSION_IDLE_SECONDS
    assert "js/idle.js" in page
    assert "js/drafts.js" in page
    assert "data-sign-out" in page  # the form idle.js signs out with


def test_pages_for_someone_not_signed_in_have_no_clock() -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert "data-idle-seconds" not in page
    assert "js/idle.js" not in page


def test_stay_signed_in_starts_the_idle_clock_again(operator, otp_client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = otp_client(operator)
        assert client.get("/cases/").status_code == 200
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS - 60))  # the warning shows
        answer = client.post(KEEPALIVE)
        assert answer.status_code == 200
        assert answer.json()["idle_left"] == settings.SESSION_IDLE_SECONDS
        assert answer.json()["ends_in"] <= settings.SESSION_COOKIE_AGE
        # without the keepalive this page would have been a sign-in
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS - 10))
        assert client.get("/cases/").status_code == 200


def test_too_late_to_stay_signed_in(operator, otp_client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = otp_client(operator)
        assert client.get("/cases/").status_code == 200
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS + 1))
        answer = client.post(KEEPALIVE)
        assert answer.status_code == 302
        assert client.get("/cases/").status_code == 302  # signed out, not kept alive


def test_the_keepalive_is_a_post_with_the_csrf_token(operator) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=operator).persistent_id
    session.save()
    page = client.get("/cases/").content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)

    assert client.post(KEEPALIVE).status_code == 403
    assert client.get(KEEPALIVE).status_code == 405
    assert client.post(KEEPALIVE, HTTP_X_CSRFTOKEN=token).status_code == 200


def test_the_keepalive_is_for_signed_in_staff_only() -> None:
    answer = Client().post(KEEPALIVE)
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")


def test_the_scripts_are_served() -> None:
    for name in ("js/idle.js", "js/drafts.js"):
        found = finders.find(name)
        assert found, name
        with open(found, encoding="utf-8") as script:  # noqa: PTH123
            text = script.read()
        for stored in ("localStorage.", "sessionStorage.", "indexedDB."):  # never used
            assert stored not in text, (name, stored)
