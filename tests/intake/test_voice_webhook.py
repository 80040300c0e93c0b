"""Calls: greeting and <Record>, the recording and transcript attached, a silent call marked for
a call back, and recordings heard only through Lantern."""

from __future__ import annotations

import base64
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from cases.models import AccessLog, Case, Report
from intake.adapters.twilio import sender_of
from tests.twilio import AUTH_TOKEN, post_signed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def helpline_line(helpline):
    helpline.phone_number = "+447700900000"
    helpline.save()
    return helpline


CALL = {"CallSid": "CA1", "From": "+447700900321", "To": "+447700900000", "CallStatus": "ringing"}


def recording(
    sid: str = "RE1", url: str = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"
):
    return {
        "CallSid": "CA1",
        "To": "+447700900000",
        "RecordingSid": sid,
        "RecordingUrl": url,
        "RecordingDuration": "42",
    }


def test_incoming_call_opens_a_case_then_greets_and_records(client, helpline, settings) -> None:
    response = post_signed(client, "/intake/twilio/voice/", CALL)

    assert response.status_code == 200
    twiml = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer
    assert [el.tag for el in twiml] == ["Say", "Record", "Hangup"]
    record = twiml.find("Record").attrib
    base = settings.PUBLIC_BASE_URL
    assert (
        record["action"]
        == record["recordingStatusCallback"]
        == f"{base}/intake/twilio/voice/recording/"
    )
    assert record["transcribeCallback"] == f"{base}/intake/twilio/voice/transcription/"
    case = Case.objects.get()
    assert (case.channel, case.reports.get().sender) == ("voice", "+447700900321")


def test_recording_and_transcript_attach_once(client, helpline) -> None:
    post_signed(client, "/intake/twilio/voice/", CALL)
    for _ in range(2):  # the <Record> action and the status callback both bring it
        response = post_signed(client, "/intake/twilio/voice/recording/", recording())
        assert "<Hangup" in response.content.decode()
    post_signed(client, "/intake/twilio/voice/transcription/",
                {"CallSid": "CA1", "RecordingSid": "RE1", "TranscriptionStatus": "completed",
                 "TranscriptionText": "Made-up words spoken in the test"})  # fmt: skip

    report = Report.objects.get()
    assert (report.recording_sid, report.recording_duration) == ("RE1", 42)
    assert report.transcription == "Made-up words spoken in the test"
    assert report.history.filter(history_change_reason="Recording received").count() == 1
    assert not report.case.needs_callback


def test_a_call_without_a_message_still_makes_a_case_to_call_back(client, helpline) -> None:
    post_signed(client, "/intake/twilio/voice/", CALL)
    post_signed(client, "/intake/twilio/voice/status/", {**CALL, "CallStatus": "completed"})
    assert Case.objects.get().needs_callback


def test_a_status_that_arrives_first_is_corrected_by_the_recording(client, helpline) -> None:
    post_signed(client, "/intake/twilio/voice/", CALL)
    post_signed(client, "/intake/twilio/voice/status/", {**CALL, "CallStatus": "completed"})
    post_signed(client, "/intake/twilio/voice/recording/", recording())
    assert not Case.objects.get().needs_callback


def test_a_call_we_never_heard_ring_is_still_a_case(client, helpline) -> None:
    post_signed(client, "/intake/twilio/voice/status/", {**CALL, "CallStatus": "no-answer"})
    case = Case.objects.get()
    assert case.needs_callback
    assert case.reports.get().sender == "+447700900321"


def test_unsigned_calls_store_nothing(client, helpline) -> None:
    for path in ("/intake/twilio/voice/", "/intake/twilio/voice/recording/",
                 "/intake/twilio/voice/transcription/", "/intake/twilio/voice/status/"):  # fmt: skip
        response = client.post(
            path, urlencode(CALL), content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 403
    assert not Report.objects.exists()


class FakeTwilioMedia(BaseHTTPRequestHandler):
    """Stands in for Twilio's media host on loopback: MP3 bytes for the right credentials only."""

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
def media_server(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilioMedia)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.TWILIO_MEDIA_HOSTS = ["127.0.0.1"]
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_staff_listen_through_lantern_never_the_provider_url(
    client, helpline, operator, other_operator, otp_client, media_server
) -> None:
    post_signed(client, "/intake/twilio/voice/", CALL)
    url = f"{media_server}/2010-04-01/Accounts/AC0/Recordings/RE1"
    post_signed(client, "/intake/twilio/voice/recording/", recording(url=url))
    case = Case.objects.get()
    report = case.reports.get()
    listen = f"/cases/{case.number}/recordings/{report.pk}/"

    response = otp_client(operator).get(listen)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"ID3-made-up-audio"
    assert AccessLog.objects.filter(case=case, action="listen", user=operator).exists()

    page = otp_client(operator).get(f"/cases/{case.number}/").content.decode()
    assert listen in page
    assert media_server not in page
    api = otp_client(operator).get(f"/api/v1/cases/{case.number}/").json()
    assert api["reports"][0]["recording_url"].endswith(listen)

    assert otp_client(other_operator).get(listen).status_code == 404


def test_recordings_are_only_fetched_from_twilio_hosts(
    client, helpline, operator, otp_client
) -> None:
    post_signed(client, "/intake/twilio/voice/", CALL)
    post_signed(
        client, "/intake/twilio/voice/recording/", recording(url="http://169.254.169.254/latest")
    )
    case = Case.objects.get()
    response = otp_client(operator).get(f"/cases/{case.number}/recordings/{case.reports.get().pk}/")
    assert response.status_code == 502


@hsettings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    caller=st.text(max_size=40),
    status=st.text(max_size=20),
    drop=st.sets(st.sampled_from(["CallSid", "From", "To", "CallStatus"])),
    path=st.sampled_from(["/intake/twilio/voice/", "/intake/twilio/voice/status/"]),
)
def test_odd_call_input_never_breaks_the_webhooks(client, caller, status, drop, path) -> None:
    sid = "CA" + uuid.uuid4().hex  # examples share the database: each its own call
    params = {"CallSid": sid, "From": caller, "To": "+447700900000", "CallStatus": status}
    params = {key: value for key, value in params.items() if key not in drop}

    response = post_signed(client, path, params)

    assert response.status_code in (200, 400)
    stored = Report.objects.filter(source_id=sid)
    if response.status_code == 400:
        assert not stored.exists()
    elif path == "/intake/twilio/voice/":
        expected = sender_of(MultiValueDict({"From": [params.get("From", "")]}))
        assert stored.get().sender == expected
