"""Whose address a request comes from (project.proxy): exactly TRUSTED_PROXY_COUNT hops from the
right of X-Forwarded-For, never what a client wrote to their left. The public form's limit is in
test_web_form_limits.py; here the rule itself, the sign-in lock-out and the production image."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from cases.models import Case
from project.proxy import client_address
from tests.factories import TEST_PASSWORD, StaffFactory
from tests.intake.browser import post_form
from tests.servers import ROOT, Daphne, RedisServer, database_url, running

SOCKET = "10.0.0.2"


@pytest.mark.parametrize(
    ("forwarded_for", "proxies", "expected"),
    [
        ("", 0, SOCKET),
        ("198.51.100.7", 0, SOCKET),  # no proxy: the header is the client's own words
        ("198.51.100.7", 1, "198.51.100.7"),
        ("6.6.6.6, 198.51.100.7", 1, "198.51.100.7"),  # the client wrote 6.6.6.6
        ("6.6.6.6, 198.51.100.7, 10.0.0.9", 2, "198.51.100.7"),
        ("198.51.100.7", 2, SOCKET),  # fewer hops than proxies: not through them all
        ("6.6.6.6, not-an-address", 1, SOCKET),
        ("6.6.6.6, 198.51.100.7:5123", 1, "198.51.100.7"),
        ("6.6.6.6, [2001:db8::7]:443", 1, "2001:db8::7"),
        ("6.6.6.6,2001:db8::8", 1, "2001:db8::8"),
        (" , ", 1, SOCKET),
    ],
)
def test_the_client_is_the_address_the_trusted_proxies_saw(forwarded_for, proxies, expected):
    assert client_address(forwarded_for, SOCKET, proxies) == expected


def password_step(client: Client, username: str, password: str, forwarded_for: str):
    return client.post(
        "/accounts/login/",
        {"login_view-current_step": "auth", "auth-username": username, "auth-password": password},
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_does_not_escape_the_lock_out(helpline, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    person = StaffFactory(organisation=helpline)
    attacker = Client(REMOTE_ADDR=SOCKET)
    for i in range(settings.AXES_FAILURE_LIMIT):
        # a different made-up address on the left each time; the proxy appended the real one
        password_step(attacker, person.username, "wrong", f"198.51.100.{i}, 203.0.113.9")

    locked = password_step(Client(REMOTE_ADDR=SOCKET), person.username, TEST_PASSWORD,
                           "192.0.2.1, 203.0.113.9")  # fmt: skip
    assert locked.status_code == 429

    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    # someone else behind the same proxy is not locked out with them
    elsewhere = password_step(Client(REMOTE_ADDR=SOCKET), person.username, TEST_PASSWORD,
                              "203.0.113.10")  # fmt: skip
    assert elsewhere.status_code == 200


def test_the_production_image_lets_lantern_read_the_proxy_headers() -> None:
    """daphne --proxy-headers would set the client from the leftmost X-Forwarded-For, which any
    client writes; the image must leave the header to project.proxy (bin/serve-http's own refusal
    to trust forwarders is tests/test_layout.py's)."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    command = re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE).group(1)
    assert command == '["bin/serve-http"]'
    assert "--proxy-headers" not in command
    assert "--proxy-headers" not in (ROOT / "docker-compose.yml").read_text()
    assert "TRUSTED_PROXY_COUNT" in (ROOT / "docker-compose.yml").read_text()
    assert settings.MIDDLEWARE[0] == "project.proxy.TrustedProxyMiddleware"


@pytest.mark.real_services
@pytest.mark.django_db(transaction=True)
def test_through_daphne_many_forged_addresses_are_one_client(require_postgresql, helpline) -> None:
    """The real server, started as the image starts it (no --proxy-headers), behind one proxy:
    whatever a client writes into X-Forwarded-For, it is one address to the form's limit."""
    redis = RedisServer().start()  # a private one: counts from zero
    env = {"DATABASE_URL": database_url(), "REDIS_URL": redis.url, "DEBUG": "True",
           "TRUSTED_PROXY_COUNT": "1", "INTAKE_FORM_RATE": "2/h"}  # fmt: skip
    try:
        with running(Daphne(env=env)) as (server,):
            answers = [
                post_form(
                    server.base_url,
                    f"Made-up report {i}",
                    {"X-Forwarded-For": f"198.51.100.{i}, 203.0.113.{i}, 192.0.2.70"},
                )
                for i in range(4)
            ]
    finally:
        redis.kill()

    assert [status for status, _ in answers] == [303, 303, 200, 200]
    assert all("What is" in page for _, page in answers[2:])  # asked, not dropped
    assert Case.objects.count() == 2
