"""Listening to a call: streamed through Lantern after the access check, only to those who may
hear who is on a case, fetched only over https from Twilio's media hosts, and a provider that
cannot be reached is a 502 that names no URL."""

from __future__ import annotations

import base64
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

from cases.models import AccessLog, Case
from tests.twilio import AUTH_TOKEN, post_signed

pytestmark = pytest.mark.django_db

MEDIA_HOST = "media.twilio.test"
RECORDING_PATH = "/2010-04-01/Accounts/AC0/Recordings/RE1"


@pytest.fixture(autouse=True)
def helpline_line(helpline):
    helpline.phone_number = "+447700900000"
    helpline.save()
    return helpline


class FakeTwilioMedia(BaseHTTPRequestHandler):
    """Stands in for Twilio's media host: MP3 bytes for the right credentials only."""

    expected = "Basic " + base64.b64encode(f"{'AC' + '0' * 32}:{AUTH_TOKEN}".encode()).decode()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.headers.get("Authorization") != self.expected or not self.path.endswith(".mp3"):
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/mpeg")
        self.end_headers()
        self.wfile.write(b"ID3-made-up-audio")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fetched(settings, monkeypatch) -> list[str]:
    """Twilio's media host on loopback. The adapter's request must be https to port 443 of an
    allowed host; only then is it carried to the stand-in (plain http on a free port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilioMedia)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.TWILIO_MEDIA_HOSTS = [MEDIA_HOST]
    real_get = requests.get
    seen: list[str] = []

    def get(url: str, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(url)
        parts = urlsplit(url)
        assert (parts.scheme, parts.hostname, parts.port or 443) == ("https", MEDIA_HOST, 443)
        assert kwargs.get("allow_redirects") is False
        local = f"http://127.0.0.1:{server.server_port}{parts.path}"
        return real_get(local, **kwargs)

    monkeypatch.setattr("intake.adapters.twilio.requests.get", get)
    yield seen
    server.shutdown()


def recording(url: str) -> dict[str, str]:
    return {
        "CallSid": "CA1",
        "To": "+447700900000",
        "RecordingSid": "RE1",
        "RecordingUrl": url,
        "RecordingDuration": "42",
    }


def a_recorded_call(client, url: str = f"https://{MEDIA_HOST}{RECORDING_PATH}") -> str:
    post_signed(client, "/intake/twilio/voice/", {"CallSid": "CA1", "From": "+447700900321",
                                                  "To": "+447700900000"})  # fmt: skip
    post_signed(client, "/intake/twilio/voice/recording/", recording(url))
    case = Case.objects.get()
    return f"/cases/{case.number}/recordings/{case.reports.get().pk}/"


def test_staff_listen_through_lantern_never_the_provider_url(
    client, operator, other_operator, otp_client, fetched
) -> None:
    listen = a_recorded_call(client)
    case = Case.objects.get()

    response = otp_client(operator).get(listen)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"ID3-made-up-audio"
    assert fetched == [f"https://{MEDIA_HOST}{RECORDING_PATH}.mp3"]
    assert AccessLog.objects.filter(case=case, action="listen", user=operator).exists()

    page = otp_client(operator).get(f"/cases/{case.number}/").content.decode()
    assert listen in page
    assert MEDIA_HOST not in page
    api = otp_client(operator).get(f"/api/v1/cases/{case.number}/").json()
    assert api["reports"][0]["recording_url"].endswith(listen)

    assert otp_client(other_operator).get(listen).status_code == 404


def test_monitors_never_hear_a_caller(client, monitor, admin_user, otp_client, fetched) -> None:
    """A voice identifies the caller: a monitor sees the case's figures, never hears it."""
    listen = a_recorded_call(client)

    for user in (monitor, admin_user):
        assert otp_client(user).get(listen).status_code == 404
    assert fetched == []  # nothing was even fetched from the provider
    assert not AccessLog.objects.filter(action="listen").exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest",
        f"http://{MEDIA_HOST}{RECORDING_PATH}",  # not https: the credentials would travel in clear
        f"https://{MEDIA_HOST}:8443{RECORDING_PATH}",  # another port on an allowed host
        f"https://{MEDIA_HOST}:80{RECORDING_PATH}",
        f"https://user:pw@{MEDIA_HOST}{RECORDING_PATH}",
        f"https://{MEDIA_HOST}.attacker.test{RECORDING_PATH}",
        f"https://{MEDIA_HOST}:99999{RECORDING_PATH}",  # not a port at all
        f"ftp://{MEDIA_HOST}{RECORDING_PATH}",
    ],
)
def test_recordings_are_only_fetched_over_https_from_twilio_hosts(
    client, operator, otp_client, fetched, url
) -> None:
    listen = a_recorded_call(client, url)

    assert otp_client(operator).get(listen).status_code == 502
    assert fetched == []


@pytest.mark.parametrize(
    "failure", [requests.ConnectionError, requests.ConnectTimeout, requests.ReadTimeout]
)
def test_an_unreachable_provider_is_a_502_that_logs_no_url(
    client, operator, otp_client, settings, monkeypatch, caplog, failure
) -> None:
    settings.TWILIO_MEDIA_HOSTS = [MEDIA_HOST]
    listen = a_recorded_call(client)

    def unreachable(url: str, **kwargs):  # type: ignore[no-untyped-def]
        # requests names the whole URL in its messages, as here
        raise failure(f"HTTPSConnectionPool(host='{MEDIA_HOST}', port=443): Max retries "
                      f"exceeded with url: {RECORDING_PATH}.mp3")  # fmt: skip

    monkeypatch.setattr("intake.adapters.twilio.requests.get", unreachable)
    with caplog.at_level(logging.DEBUG):
        response = otp_client(operator).get(listen)

    assert response.status_code == 502
    assert RECORDING_PATH not in response.content.decode()
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "recording_unavailable" in logged
    assert MEDIA_HOST not in logged
    assert "Recordings/RE1" not in logged
