"""Step-up re-authentication (accounts.step_up, SECURITY AC-06): a fresh authenticator code, kept
in the session for STEP_UP_MINUTES, before something grave."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.step_up import SESSION_KEY, is_stepped_up, step_up_required

pytestmark = pytest.mark.django_db


def code_for(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_the_page_asks_for_a_code_and_goes_back_to_a_safe_next(operator, otp_client) -> None:
    client = otp_client(operator)
    page = client.get("/accounts/step-up/", {"next": "/privacy/break-glass/open/"})
    assert page.status_code == 200
    assert b"Six-digit code from your authenticator app" in page.content

    answer = client.post(
        "/accounts/step-up/",
        {"otp_token": code_for(operator), "next": "/privacy/break-glass/open/"},
    )

    assert answer.status_code == 302
    assert answer["Location"] == "/privacy/break-glass/open/"
    assert SESSION_KEY in client.session


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""]
)
def test_next_never_leaves_the_site(next_url, operator, otp_client) -> None:
    client = otp_client(operator)
    answer = client.post("/accounts/step-up/", {"otp_token": code_for(operator), "next": next_url})
    assert answer.status_code == 302
    assert answer["Location"] == "/"


def test_a_wrong_code_is_a_400_tied_to_the_field(operator, otp_client) -> None:
    client = otp_client(operator)
    answer = client.post("/accounts/step-up/", {"otp_token": "000000", "next": "/"})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert 'aria-describedby="id_otp_token_error"' in html
    assert 'id="id_otp_token_error"' in html
    assert SESSION_KEY not in client.session


def test_a_code_cannot_be_used_twice(operator, otp_client) -> None:
    client = otp_client(operator)
    code = code_for(operator)
    assert client.post("/accounts/step-up/", {"otp_token": code}).status_code == 302
    again = otp_client(operator)
    assert again.post("/accounts/step-up/", {"otp_token": code}).status_code == 400


def test_the_page_needs_a_verified_second_factor(operator, password_only_client, client) -> None:
    assert client.get("/accounts/step-up/").status_code == 302  # to sign in
    assert password_only_client(operator).get("/accounts/step-up/").status_code == 302


def test_the_decorator_sends_to_the_step_up_with_the_path_only(operator, otp_client) -> None:
    @step_up_required
    def grave(request):
        return HttpResponse("done")

    request = RequestFactory().get("/cases/LNT-2026-000001/break-glass/?q=secret")
    request.user = operator
    request.session = otp_client(operator).session
    answer = grave(request)
    assert answer.status_code == 302
    assert answer["Location"] == (
        "/accounts/step-up/?next=%2Fcases%2FLNT-2026-000001%2Fbreak-glass%2F"
    )
    assert "secret" not in answer["Location"]


def test_a_step_up_lasts_step_up_minutes(operator, stepped_up_client, settings) -> None:
    settings.STEP_UP_MINUTES = 5
    client = stepped_up_client(operator)
    request = RequestFactory().get("/")
    request.session = client.session
    assert is_stepped_up(request)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert not is_stepped_up(request)
