"""Recordings kept in Lantern (issue 15 part 6, SECURITY IN-09, DP-01): Twilio's completed status
callback leads to one download, an encrypted copy in the protected storage, one DELETE of
Twilio's copy, and no trace of its address; the player streams the stored copy."""

from __future__ import annotations

import base64
import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings as django_settings

from cases.models import Case, Report
from intake import recordings
from project import protected_files
from tests.privacy.canary import canary, find
from tests.twilio import AUTH_TOKEN, post_signed

pytestmark = pytest.mark.django_db

MEDIA_HOST = "media.twilio.test"
ACCOUNT = "AC" + "0" * 32
RECORDING_PATH = f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE1"
RECORDING_URL = f"https://{MEDIA_HOST}{RECORDING_PATH}"
# Made-up audio of a few frames, with a canary in it so the sweep can look for the plaintext.
AUDIO = b"ID3" + canary("voice").encode() + os.urandom(200_000) + canary("voice").encode()


class FakeTwilio(BaseHTTPRequestHandler):
    """Twilio's media host and REST API on loopback: the MP3 for the account's credentials, and a
    DELETE of the recording that is recorded. `fail` makes a method answer 503 ("GET cut": the
    download stops half-way)."""

    expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{AUTH_TOKEN}".encode()).decode()
    calls: list[tuple[str, str]]
    fail: set[str]

    def _answer(self, method: str, status: int, body: bytes = b"") -> None:
        type(self).calls.append((method, self.path))
        if self.headers.get("Authorization") != self.expected:
            status, body = 401, b""
        elif method in type(self).fail:
            status, body = 503, b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if f"{method} cut" in type(self).fail:  # the connection drops half-way through
            body = body[: len(body) // 2]
            self.close_connection = True
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer("GET", 200 if self.path == f"{RECORDING_PATH}.mp3" else 404, AUDIO)

    def do_DELETE(self) -> None:  # noqa: N802
        self._answer("DELETE", 204 if self.path == f"{RECORDING_PATH}.json" else 404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def twilio(settings, monkeypatch, helpline):
    """The stand-in: the adapter's GET must be https to an allowed media host (then carried to the
    loopback server); the DELETE goes to TWILIO_API_BASE_URL, as to Twilio's API."""
    helpline.phone_number = "+447700900000"
    helpline.save()
    handler = type("Handler", (FakeTwilio,), {"calls": [], "fail": set()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.TWILIO_MEDIA_HOSTS = [MEDIA_HOST]
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{server.server_port}"
    real_get = requests.get

    def get(url: str, **kwargs):  # type: ignore[no-untyped-def]
        parts = urlsplit(url)
        assert (parts.scheme, parts.hostname, parts.port or 443) == ("https", MEDIA_HOST, 443)
        return real_get(f"http://127.0.0.1:{server.server_port}{parts.path}", **kwargs)

    monkeypatch.setattr("intake.adapters.twilio.requests.get", get)
    yield handler
    server.shutdown()
    server.server_close()
    # Files outlive the test's rolled-back rows: remove them, so canary sweeps stay per test.
    for name in Report.objects.exclude(recording_file="").values_list("recording_file", flat=True):
        protected_files.delete(name)


def a_completed_recording(client, capture) -> Report:  # type: ignore[no-untyped-def]
    call = {"CallSid": "CA1", "From": "+447700900321", "To": "+447700900000"}
    assert post_signed(client, "/intake/twilio/voice/", call).status_code == 200
    with capture(execute=True):
        response = post_signed(
            client,
            "/intake/twilio/voice/recording/",
            {**call, "RecordingSid": "RE1", "RecordingUrl": RECORDING_URL,
             "RecordingDuration": "42", "RecordingStatus": "completed"},
        )  # fmt: skip
    assert response.status_code == 200
    return Report.objects.get(source_id="CA1")


def _raw(name: str) -> bytes:
    with open(os.path.join(django_settings.PROTECTED_MEDIA_ROOT, name), "rb") as handle:
        return handle.read()


def test_a_completed_recording_is_stored_encrypted_and_deleted_at_twilio(
    client, operator, otp_client, twilio, django_capture_on_commit_callbacks, caplog
) -> None:
    with caplog.at_level(logging.INFO):  # what is logged unless LOG_LEVEL says otherwise
        report = a_completed_recording(client, django_capture_on_commit_callbacks)

        assert twilio.calls == [("GET", f"{RECORDING_PATH}.mp3"),
                                ("DELETE", f"{RECORDING_PATH}.json")]  # fmt: skip
        assert report.recording_file.startswith("recordings/")
        assert report.recording_url == ""
        assert set(report.history.values_list("recording_url", flat=True)) == {""}
        stored = _raw(report.recording_file)
        assert stored != AUDIO
        assert canary("voice").encode() not in stored
        assert find(canary("voice")) == [f"file.{report.recording_file} 0"]

        # A repeat of the task (Celery redelivery, the sweep) fetches and deletes nothing more.
        assert recordings.store(report.pk)
        assert recordings.store_pending() == 0
        assert len(twilio.calls) == 2

        case = Case.objects.get()
        listen = f"/cases/{case.number}/recordings/{report.pk}/"
        response = otp_client(operator).get(listen)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == AUDIO
        assert len(twilio.calls) == 2  # played from Lantern's copy, not the provider's

        page = otp_client(operator).get(f"/cases/{case.number}/").content.decode()
        api = otp_client(operator).get(f"/api/v1/cases/{case.number}/").content.decode()
    for text in (page, api, caplog.text, str([r.__dict__ for r in caplog.records])):
        assert MEDIA_HOST not in text
        assert "Recordings/RE1" not in text


def test_the_action_callback_alone_stores_nothing_yet(
    client, twilio, django_capture_on_commit_callbacks
) -> None:
    """Only the status callback says the file is complete: the <Record> action may come first."""
    call = {"CallSid": "CA1", "From": "+447700900321", "To": "+447700900000"}
    post_signed(client, "/intake/twilio/voice/", call)
    with django_capture_on_commit_callbacks(execute=True):
        post_signed(client, "/intake/twilio/voice/recording/",
                    {**call, "RecordingSid": "RE1", "RecordingUrl": RECORDING_URL})  # fmt: skip
    assert twilio.calls == []
    assert Report.objects.get(source_id="CA1").recording_file == ""


def test_a_failed_delete_keeps_the_file_and_the_sweep_finishes_without_fetching_again(
    client, operator, otp_client, twilio, django_capture_on_commit_callbacks
) -> None:
    twilio.fail = {"DELETE"}
    report = a_completed_recording(client, django_capture_on_commit_callbacks)
    assert report.recording_file
    assert report.recording_url == RECORDING_URL  # the provider's copy is still there

    twilio.fail = set()
    assert recordings.store_pending() == 1
    report.refresh_from_db()
    assert report.recording_url == ""
    assert [method for method, _ in twilio.calls] == ["GET", "DELETE", "DELETE"]


def test_a_failed_download_leaves_the_provider_copy_playable_until_the_sweep(
    client, operator, otp_client, twilio, django_capture_on_commit_callbacks
) -> None:
    twilio.fail = {"GET"}
    report = a_completed_recording(client, django_capture_on_commit_callbacks)
    assert report.recording_file == ""
    assert report.recording_url == RECORDING_URL
    assert [method for method, _ in twilio.calls] == ["GET"]  # never deleted without a copy

    twilio.fail = set()
    listen = f"/cases/{report.case.number}/recordings/{report.pk}/"
    response = otp_client(operator).get(listen)
    assert b"".join(response.streaming_content) == AUDIO  # from the provider meanwhile

    assert recordings.store_pending() == 1
    report.refresh_from_db()
    assert report.recording_file
    assert report.recording_url == ""
    assert b"".join(otp_client(operator).get(listen).streaming_content) == AUDIO


def test_the_voice_webhook_answers_when_the_broker_is_down(
    client, twilio, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """IN-09: queuing fails (Redis down), the caller still gets TwiML, the sweep stores later."""
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("Connection refused")

    monkeypatch.setattr("intake.tasks.store_recording.delay", down)
    report = a_completed_recording(client, django_capture_on_commit_callbacks)
    assert report.recording_file == ""
    assert twilio.calls == []

    assert recordings.store_pending() == 1
    report.refresh_from_db()
    assert report.recording_file
    assert report.recording_url == ""


def test_discard_recording_removes_the_file_the_fields_and_their_history(
    client, twilio, django_capture_on_commit_callbacks
) -> None:
    report = a_completed_recording(client, django_capture_on_commit_callbacks)
    Report.objects.filter(pk=report.pk).update(transcription=canary("transcript"))
    report.refresh_from_db()
    report.save()  # a history row holding the transcription
    name = report.recording_file

    with django_capture_on_commit_callbacks(execute=True):
        recordings.discard_recording(report)

    assert not protected_files.exists(name)
    report.refresh_from_db()
    assert (report.recording_file, report.recording_url, report.transcription) == ("", "", "")
    assert find(canary("voice"), canary("transcript")) == []


def test_discarding_a_recording_still_at_twilio_deletes_it_there_first(
    client, twilio, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setattr("intake.tasks.queue_store", lambda report_id: None)
    report = a_completed_recording(client, django_capture_on_commit_callbacks)
    twilio.fail = {"DELETE"}
    with pytest.raises(recordings.twilio.RecordingUnavailableError):
        recordings.discard_recording(report)
    report.refresh_from_db()
    assert report.recording_url == RECORDING_URL  # nothing changed: the caller tries again

    twilio.fail = set()
    recordings.discard_recording(report)
    report.refresh_from_db()
    assert report.recording_url == ""
    assert [method for method, _ in twilio.calls] == ["DELETE", "DELETE"]


def test_a_download_cut_short_is_not_kept_and_twilio_keeps_its_copy(
    client, twilio, django_capture_on_commit_callbacks
) -> None:
    twilio.fail = {"GET cut"}
    report = a_completed_recording(client, django_capture_on_commit_callbacks)
    assert report.recording_file == ""  # half a call is not a copy to delete the original for
    assert report.recording_url == RECORDING_URL
    assert [method for method, _ in twilio.calls] == ["GET"]

    twilio.fail = set()
    assert recordings.store_pending() == 1
    report.refresh_from_db()
    assert b"".join(protected_files.open_decrypted(report.recording_file)) == AUDIO
