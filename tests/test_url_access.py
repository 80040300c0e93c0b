"""Deny by default (SECURITY AUTH-01): every URL is classified, and every URL not explicitly public
needs a password *and* a verified second factor. A new URL nobody classified fails here."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from accounts.access import access_mark

PUBLIC = {
    "two_factor:login",
    # the public web chat (tests/chat): a page with no login; everything else goes over /ws/chat/
    "chat:page",
    "healthz",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "schema",
    "api-docs",
    # a partner system's events: public, each checks the partner's HMAC signature
    # (tests/feeds/test_partner_events.py)
    "partner-events",
    # Twilio's webhooks: public, each checks Twilio's signature (tests/intake)
    "intake:sms",
    "intake:sms-status",
    "live-voice:incoming",
    "live-voice:whisper",
    "live-voice:accept",
    "live-voice:dialled",
    "live-voice:status",
    "intake:voice-recording",
    "intake:voice-transcription",
    "live-callback-hooks:operator",
    "live-callback-hooks:connect",
    "live-callback-hooks:answered",
    "live-callback-hooks:dialled",
    "live-callback-hooks:status",
    "report",
    "report-thanks",
    "report-safety",
    # The victim portal (tests/portal): signing in, and pages for a signed-in victim, which check
    # the portal session themselves; the public library of articles.
    "portal:leave",
    "portal:sign-in",
    "portal:sign-in-code",
    "portal:sign-out",
    "portal:signed-out",
    "portal:safety",
    "portal:home",
    "portal:messages",
    "help:library",
    "help:article",
    "help:short",
}
PASSWORD_STEP = {"two_factor:setup", "two_factor:qr", "logout"}
SAMPLE_VALUES = ["1", "accounts", "LNT-2026-000001", "x"]


def _patterns(
    resolvers: list, namespace: str = "", prefix: str = ""
) -> Iterator[tuple[str, URLPattern, str]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, ns, prefix + str(entry.pattern))
        else:
            name = f"{namespace}{entry.name}" if entry.name else ""
            yield name, entry, prefix + str(entry.pattern)


ALL = list(_patterns(get_resolver().url_patterns))


def _expected(name: str, route: str) -> str:
    if name in PUBLIC:
        return "public"
    if name in PASSWORD_STEP:
        return "password_step"
    if route.startswith("api/v1/"):
        return "api"
    return "staff"


def _sample_url(name: str, pattern: URLPattern) -> str | None:
    keys = sorted(set(pattern.pattern.regex.groupindex))
    for values in itertools.product(SAMPLE_VALUES, repeat=len(keys)):
        try:
            return reverse(name, kwargs=dict(zip(keys, values, strict=True)))
        except NoReverseMatch:
            continue
    return None


@pytest.mark.parametrize(("name", "pattern", "route"), ALL, ids=[r for _, _, r in ALL])
def test_every_url_is_named_and_classified(name: str, pattern: URLPattern, route: str) -> None:
    if not name:
        # Only the admin's own redirects and catch-all may be unnamed; ours all have names.
        assert route.startswith("admin/"), route
        assert access_mark(pattern.callback) == "staff"
        return
    assert access_mark(pattern.callback) == _expected(name, route), (
        f"{route} ({name}) is {access_mark(pattern.callback)}: mark it or list it here"
    )


STAFF_URLS = [
    url
    for name, pattern, route in ALL
    if name and _expected(name, route) == "staff" and (url := _sample_url(name, pattern))
]
API_URLS = [
    url
    for name, pattern, route in ALL
    if name and _expected(name, route) == "api" and (url := _sample_url(name, pattern))
]


def test_the_walk_found_the_urls() -> None:
    assert "/cases/" in STAFF_URLS
    assert "/admin/" in STAFF_URLS
    assert "/api/v1/cases/" in API_URLS


@pytest.mark.django_db
@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_urls_refuse_anonymous_and_password_only_users(
    url: str, client, operator, password_only_client
) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

    response = password_only_client(operator).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_urls_let_verified_staff_through(url: str, operator, otp_client) -> None:
    response = otp_client(operator).get(url)
    if url == "/admin/login/":  # the admin has no login of its own: everyone uses the 2FA one
        assert response["Location"].startswith("/accounts/login/")
        return
    assert not (response.status_code == 302 and response["Location"].startswith("/accounts/")), url


@pytest.mark.django_db
def test_staff_without_a_device_are_sent_to_enrol(client, helpline) -> None:
    from tests.factories import StaffFactory

    newcomer = StaffFactory(organisation=helpline, device=False)
    client.force_login(newcomer)
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two_factor/setup/"


@pytest.mark.django_db
@pytest.mark.parametrize("url", API_URLS)
def test_api_urls_refuse_anonymous_and_password_only_users(
    url: str, client, operator, password_only_client
) -> None:
    assert client.get(url).status_code == 401
    assert password_only_client(operator).get(url).status_code == 403
