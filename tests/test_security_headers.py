"""What every response tells the browser (the ZAP passive rules, checked in the suite)."""

from __future__ import annotations

import pytest

from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_login_page_headers(client) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Server" not in response


def test_csrf_cookie_lives_only_as_long_as_the_browser(client) -> None:
    client.get("/accounts/login/")
    cookie = client.cookies["csrftoken"]
    assert not cookie["max-age"]
    assert not cookie["expires"]
    assert cookie["httponly"]


def test_case_pages_are_never_cached_and_keep_no_history(operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation)
    client = otp_client(operator)
    for url in ("/cases/", f"/cases/{case.number}/"):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"]
        html = response.content.decode()
        assert '"historyCacheSize":0' in html
        assert 'hx-history="false"' in html


def test_pages_load_nothing_from_other_sites(operator, otp_client) -> None:
    html = otp_client(operator).get("/cases/").content.decode()
    assert "https://" not in html
    assert "http://" not in html
    assert "<script>" not in html  # no inline scripts: the CSP would block them
    assert "style=" not in html
