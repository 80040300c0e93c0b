"""Staff sign-in: password then TOTP, lock-out that cannot lock out a whole office, session limits,
logout and password reset (SECURITY AUTH-01..08)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def code_for(user, at_offset: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, t0=device.t0, step=device.step, drift=at_offset):06d}"


def password_step(client: Client, username: str, password: str = TEST_PASSWORD, **extra):
    return client.post(
        LOGIN,
        {"login_view-current_step": "auth", "auth-username": username, "auth-password": password},
        **extra,
    )


def token_step(client: Client, code: str, **extra):
    return client.post(
        LOGIN, {"login_view-current_step": "token", "token-otp_token": code}, **extra
    )


def test_login_needs_password_then_code_and_rotates_the_session(client, operator) -> None:
    client.get(LOGIN)
    first = client.session.session_key

    response = password_step(client, operator.username)
    assert response.status_code == 200
    assert 'name="token-otp_token"' in response.content.decode()
    assert client.get("/cases/").status_code == 302  # not in yet

    response = token_step(client, code_for(operator))
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session.session_key != first
    assert client.get("/cases/").status_code == 200


def test_a_wrong_code_does_not_sign_in(client, operator) -> None:
    password_step(client, operator.username)
    response = token_step(client, "000000" if code_for(operator) != "000000" else "111111")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/cases/").status_code == 302


def test_a_code_works_only_once(operator) -> None:
    code = code_for(operator)
    first = Client()
    password_step(first, operator.username)
    assert token_step(first, code).status_code == 302

    second = Client()
    password_step(second, operator.username)
    assert token_step(second, code).status_code == 200  # replayed: refused
    assert "_auth_user_id" not in second.session


def test_token_field_helps_password_managers(client, operator) -> None:
    html = password_step(client, operator.username).content.decode()
    field = re.search(r"<input[^>]*name=\"token-otp_token\"[^>]*>", html).group(0)
    assert 'autocomplete="one-time-code"' in field


def test_lockout_is_per_username_and_address_and_ends_by_itself(helpline) -> None:
    victim_of_guessing = StaffFactory(organisation=helpline)
    colleague = StaffFactory(organisation=helpline)
    office = {"REMOTE_ADDR": "203.0.113.7"}
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(attacker, victim_of_guessing.username, "wrong password", **office)

    # axes keeps what was posted, never the secret in it
    from axes.models import AccessAttempt

    assert "wrong password" not in repr(list(AccessAttempt.objects.values()))

    # the right password is now refused for that name from that address
    locked = password_step(Client(), victim_of_guessing.username, **office)
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()

    # a colleague behind the same office address signs in as usual
    assert password_step(Client(), colleague.username, **office).status_code == 200

    # after the cool-off the locked person can sign in again
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    with time_machine.travel(later):
        response = password_step(Client(), victim_of_guessing.username, **office)
    assert response.status_code == 200
    assert 'name="token-otp_token"' in response.content.decode()


def test_idle_sessions_end(operator, otp_client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = otp_client(operator)
        assert client.get("/cases/").status_code == 200
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS - 60))
        assert client.get("/cases/").status_code == 200
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS + 1))
        response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_busy_sessions_still_end_after_the_absolute_limit(operator, otp_client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = otp_client(operator)
        assert client.get("/cases/").status_code == 200
        elapsed = 0
        while elapsed < settings.SESSION_COOKIE_AGE - 600:
            clock.shift(timedelta(seconds=600))
            elapsed += 600
            assert client.get("/cases/").status_code == 200
        clock.shift(timedelta(seconds=601))
        assert client.get("/cases/").status_code == 302


def test_logout_ends_the_session_on_the_server(operator, otp_client) -> None:
    client = otp_client(operator)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post("/accounts/logout/").status_code == 302
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert replay.get("/cases/").status_code == 302


def test_disabling_staff_ends_their_sessions(operator, otp_client) -> None:
    client = otp_client(operator)
    operator.is_active = False
    operator.save()
    assert client.get("/cases/").status_code == 302


def ask_reset(client: Client, email: str, capture) -> object:
    """A reset request, with the worker's outbox delivery run once it commits."""
    with capture(execute=True):
        return client.post("/accounts/password/reset/", {"email": email})


def test_password_reset_does_not_reveal_who_has_an_account(
    client, operator, django_capture_on_commit_callbacks
) -> None:
    known = ask_reset(client, operator.email, django_capture_on_commit_callbacks)
    unknown = ask_reset(client, "nobody@lantern.invalid", django_capture_on_commit_callbacks)
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.to for m in mail.outbox] == [[operator.email]]


def test_reset_link_works_once_within_an_hour_and_does_not_sign_in(
    client, operator, django_capture_on_commit_callbacks
) -> None:
    ask_reset(client, operator.email, django_capture_on_commit_callbacks)
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body).group(1)
    new_password = "a fresh made-up passphrase"

    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session  # a reset never skips the second factor

    again = Client().get(link, follow=True)
    assert "expired or has already been used" in again.content.decode()

    ask_reset(client, operator.email, django_capture_on_commit_callbacks)
    late_link = re.search(r"(/accounts/password/reset/\S+)", mail.outbox[-1].body).group(1)
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    ):
        late = Client().get(late_link, follow=True)
    assert "expired or has already been used" in late.content.decode()
