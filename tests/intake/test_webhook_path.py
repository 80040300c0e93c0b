"""Twilio's webhooks take the short road (project.middleware.WebhookPath): signed, stored, logged
and answered with no session, cookie or sign-in machinery; every other page keeps the whole
stack, lock-out and all."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver
from structlog.testing import capture_logs

from accounts.access import access_mark
from cases.models import Report
from project.middleware import WEBHOOK_PREFIXES
from tests.accounts.test_login import password_step
from tests.twilio import post_signed, sign, sms_params

pytestmark = pytest.mark.django_db

SMS = "/intake/twilio/sms/"


@pytest.fixture(autouse=True)
def helpline_line(helpline):
    helpline.phone_number = "+447700900000"
    helpline.save()
    return helpline


def test_a_webhook_is_stored_and_answered_without_any_cookie(client: Client) -> None:
    response = post_signed(client, SMS, sms_params("SM-lean-1", body="Made-up test text"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert Report.objects.filter(source_id="SM-lean-1").count() == 1
    assert not response.cookies  # no session, no CSRF token, nothing set
    assert "Cookie" not in response.get("Vary", "")  # nothing read from a session either
    # what every answer carries still comes with it
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # and none of what only pages need: the short road was taken
    assert "Content-Security-Policy" not in response


def test_a_staff_cookie_sent_to_a_webhook_is_never_read_or_renewed(operator, otp_client) -> None:
    staff = otp_client(operator)
    session_key = staff.cookies[settings.SESSION_COOKIE_NAME].value

    response = post_signed(staff, SMS, sms_params("SM-lean-2"))

    assert response.status_code == 200
    assert not response.cookies
    assert staff.cookies[settings.SESSION_COOKIE_NAME].value == session_key


def test_the_signature_is_still_checked_on_the_short_road(client: Client) -> None:
    params = sms_params("SM-forged")
    response = client.post(
        SMS,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=sign(SMS, params, token="not-the-token"),  # noqa: S106
    )
    assert response.status_code == 403
    assert not Report.objects.filter(source_id="SM-forged").exists()
    assert client.get(SMS).status_code == 405  # POST only, as before
    assert client.post("/intake/twilio/no-such-hook/").status_code == 404


def test_a_webhook_is_logged_by_ids_without_the_sender(client: Client) -> None:
    with capture_logs() as logs:
        post_signed(client, SMS, sms_params("SM-lean-3", sender="+447700900456"))

    finished = [line for line in logs if line["event"] == "request_finished"]
    assert [(line["code"], line["request"]) for line in finished] == [(200, f"POST {SMS}")]
    assert "447700900456" not in repr(logs)


def test_staff_pages_keep_the_whole_stack(operator, otp_client, client: Client) -> None:
    # not signed in: the sign-in page, even for intake's own staff page next to the webhooks
    for url in ("/cases/", "/intake/unrouted/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    # signed in: the session is used, the page has its CSP and is never stored
    response = otp_client(operator).get("/cases/")
    assert response.status_code == 200
    assert "Cookie" in response["Vary"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    # the sign-in form still sets its CSRF cookie
    assert "csrftoken" in client.get("/accounts/login/").cookies


def test_sign_in_lock_out_still_applies(operator) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(Client(), operator.username, "wrong password", REMOTE_ADDR="192.0.2.9")
    locked = password_step(Client(), operator.username, REMOTE_ADDR="192.0.2.9")
    assert locked.status_code == 429


def test_a_text_finds_its_helpline_without_asking_the_database_each_time(helpline) -> None:
    client = Client()
    post_signed(client, SMS, sms_params("SM-route-1", sender="+447700900201"))

    def organisation_queries(sid: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert (
                post_signed(client, SMS, sms_params(sid, sender="+447700900202")).status_code == 200
            )
        return sum('"accounts_organisation"' in q["sql"] for q in queries.captured_queries)

    assert organisation_queries("SM-route-2") == 0  # remembered by this process
    helpline.name = "North Helpline (renamed)"
    helpline.save()  # an edit here clears what was remembered
    assert organisation_queries("SM-route-3") == 1
    assert (
        Report.objects.filter(source_id__startswith="SM-route-", case__helpline=helpline).count()
        == 3
    )


def test_a_database_that_is_down_is_a_503_to_retry_not_a_500(monkeypatch) -> None:
    def down(*args: object) -> None:
        raise OperationalError("could not connect to server")

    errors: list[object] = []
    got_request_exception.connect(errors.append, weak=False, dispatch_uid="test-lean-503")
    monkeypatch.setattr("intake.services.routed_helpline", down)
    try:
        response = post_signed(Client(raise_request_exception=False), SMS, sms_params("SM-db-down"))
    finally:
        got_request_exception.disconnect(dispatch_uid="test-lean-503")

    assert (response.status_code, response["Retry-After"]) == (503, "60")
    assert "no-store" in response["Cache-Control"]
    assert errors == []  # answered before Django's 500 (with DEBUG, its slow debug page)


def _routes(patterns, prefix: str = ""):  # type: ignore[no-untyped-def]
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield "/" + route, pattern.callback


def test_every_view_on_the_short_road_is_a_public_webhook_that_checks_its_signature(
    client: Client,
) -> None:
    """The short road skips sign-in: a staff view placed under a webhook prefix would be open to
    anyone. Whatever the URLs hold there, each is public, CSRF-exempt and refuses an unsigned call."""
    on_road = [(route, view) for route, view in _routes(get_resolver().url_patterns)
               if route.startswith(WEBHOOK_PREFIXES)]  # fmt: skip
    assert len(on_road) >= 6  # Twilio's SMS, status, voice, recording, transcription, call status
    for route, view in on_road:
        assert "<" not in route, route  # a converter would need a sample value here
        assert access_mark(view) == "public", route
        assert getattr(view, "csrf_exempt", False), route
        unsigned = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "sent", "From": "+447700900123",
                    "CallSid": "CA" + "0" * 32, "CallStatus": "completed", "RecordingSid": "RE1"}  # fmt: skip
        form = "application/x-www-form-urlencoded"  # as Twilio posts
        assert client.post(route, urlencode(unsigned), content_type=form).status_code == 403, route
