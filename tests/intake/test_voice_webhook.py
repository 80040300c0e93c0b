"""Calls: greeting and <Record>, the recording and transcript attached, a silent call marked for
a call back (listening to recordings: test_recordings.py)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from cases.models import Case, Report
from intake.adapters.twilio import sender_of
from tests.twilio import post_signed

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


@pytest.mark.parametrize(
    "duration", ["9" * 30, "9" * 5000, "99999999", "86401", "-5", "4.5", "\u0664\u0662", "1e9"]
)
def test_a_recording_length_twilio_would_never_send_is_400_not_500(client, duration) -> None:
    post_signed(client, "/intake/twilio/voice/", CALL)
    params = {**recording(), "RecordingDuration": duration}

    response = post_signed(client, "/intake/twilio/voice/recording/", params)

    assert response.status_code == 400
    assert Report.objects.get().recording_sid == ""  # the call is stored, no recording attached


@pytest.mark.parametrize("field", ["CallSid", "RecordingSid"])
def test_an_overlong_call_or_recording_id_is_400_not_500(client, field) -> None:
    params = {**recording(), field: "RE" + "0" * 300}
    response = post_signed(client, "/intake/twilio/voice/recording/", params)
    assert response.status_code == 400
    assert not Report.objects.filter(recording_sid__startswith="RE0").exists()
