"""Smaller holes of issue 11 item 7 on the staff side: password-reset limits and timing, the
session cookie, logout clearing the browser, refused second-factor codes in the security log, and
API tokens that expire and can be revoked."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import issue_api_token
from notifications.models import Notification
from tests.accounts.test_login import code_for, password_step, token_step

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"


@pytest.fixture
def handed_to_worker(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the reset view gives the Celery task, instead of running it."""
    handed: list[str] = []
    monkeypatch.setattr("accounts.tasks.send_password_reset.delay", handed.append)
    return handed


# Password reset -----------------------------------------------------------------------------------


def test_a_reset_request_does_the_same_work_for_known_and_unknown_emails(
    operator, handed_to_worker
) -> None:
    """The timing property, structurally: the request never looks the email up and never sends
    mail; it runs the same statements whoever is asked about, and hands the email to the worker."""
    with CaptureQueriesContext(connection) as known_queries:
        known = Client().post(RESET, {"email": operator.email})
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = Client().post(RESET, {"email": "nobody@lantern.invalid"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.content == unknown.content
    assert [q["sql"] for q in known_queries] == [q["sql"] for q in unknown_queries]
    assert not any("accounts_user" in q["sql"] for q in known_queries.captured_queries)
    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert handed_to_worker == [operator.email, "nobody@lantern.invalid"]


def test_the_worker_sends_the_link_through_the_outbox(
    operator, django_capture_on_commit_callbacks
) -> None:
    from accounts.password_reset import send_reset_links

    with django_capture_on_commit_callbacks(execute=True):
        assert send_reset_links(email=operator.email) == 1
        assert send_reset_links(email="nobody@lantern.invalid") == 0

    row = Notification.objects.get()
    assert (row.recipient, row.channel, row.kind) == (operator, "email", "account.password_reset")
    assert row.status == "sent"
    assert [m.to for m in mail.outbox] == [[operator.email]]
    assert mail.outbox[0].body.count(f"{settings.PUBLIC_BASE_URL}/accounts/password/reset/") == 1


def test_reset_requests_are_limited_per_account_alike_for_known_and_unknown(
    operator, settings, handed_to_worker
) -> None:
    settings.PASSWORD_RESET_ACCOUNT_RATE = "2/h"
    answers = {}
    for email in (operator.email, "nobody@lantern.invalid"):
        answers[email] = [
            Client().post(RESET, {"email": email}, REMOTE_ADDR=f"192.0.2.{n}").status_code
            for n in range(1, 4)
        ]
    assert answers == {operator.email: [302, 302, 429], "nobody@lantern.invalid": [302, 302, 429]}
    assert len(handed_to_worker) == 4


def test_reset_requests_are_limited_per_address(operator, settings, handed_to_worker) -> None:
    settings.PASSWORD_RESET_ADDRESS_RATE = "3/h"
    statuses = [
        Client().post(RESET, {"email": f"person{n}@lantern.invalid"}).status_code for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert (
        "Too many reset requests"
        in Client().post(RESET, {"email": "x@lantern.invalid"}).content.decode()
    )


# Sessions and logout ------------------------------------------------------------------------------


def test_the_staff_session_cookie_ends_with_the_browser(client, operator) -> None:
    password_step(client, operator.username)
    signed_in = token_step(client, code_for(operator))
    assert signed_in.status_code == 302
    cookie = signed_in.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    # the server still ends it after the absolute limit, browser open or not
    later = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    with time_machine.travel(later):
        assert client.get("/cases/").status_code == 302


def test_logout_tells_the_browser_to_forget_the_site(operator, otp_client) -> None:
    answer = otp_client(operator).post("/accounts/logout/")
    assert answer.status_code == 302
    assert answer["Clear-Site-Data"] == '"cache", "cookies", "storage"'


def test_a_wrong_code_is_a_security_log_line_with_ids_only(client, operator, caplog) -> None:
    password_step(client, operator.username)
    wrong = "000000" if code_for(operator) != "000000" else "111111"
    with caplog.at_level(logging.INFO, logger="lantern.security"):
        token_step(client, wrong)
    lines = [r for r in caplog.records if r.name == "lantern.security"]
    assert [(r.getMessage(), r.user_id, r.step) for r in lines] == [
        ("second_factor_refused", operator.pk, "token")
    ]
    assert wrong not in repr(lines[0].__dict__)
    assert operator.username not in repr(lines[0].__dict__)


# API tokens ---------------------------------------------------------------------------------------


def api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_api_tokens_expire_after_api_token_days(operator, settings) -> None:
    settings.API_TOKEN_DAYS = 30
    token = issue_api_token(user=operator)
    issued = ApiToken.objects.get().created_at
    with time_machine.travel(issued + timedelta(days=30) - timedelta(seconds=1)):
        assert api(token).get("/api/v1/organisations/").status_code == 200
    with time_machine.travel(issued + timedelta(days=30)):
        assert api(token).get("/api/v1/organisations/").status_code == 401


def test_revoke_token_stops_every_token_of_the_person(operator, supervisor, capsys) -> None:
    call_command("issue_token", operator.username)
    token = capsys.readouterr().out.strip()
    second = issue_api_token(user=operator)
    colleagues = issue_api_token(user=supervisor)
    assert api(token).get("/api/v1/organisations/").status_code == 200

    call_command("revoke_token", operator.username)

    assert "Revoked 2 token(s)" in capsys.readouterr().out
    assert api(token).get("/api/v1/organisations/").status_code == 401
    assert api(second).get("/api/v1/organisations/").status_code == 401
    assert api(colleagues).get("/api/v1/organisations/").status_code == 200
    # a new one can be issued again afterwards
    assert api(issue_api_token(user=operator)).get("/api/v1/organisations/").status_code == 200
