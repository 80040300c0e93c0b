"""Twilio at the edge: checking a webhook is Twilio's and well formed, reading its fields, TwiML
answers, and fetching a recording with the account's credentials. No database work here."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from functools import wraps
from urllib.parse import parse_qsl, urlsplit

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.utils.datastructures import MultiValueDict
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from project.phones import to_e164

logger = logging.getLogger(__name__)

Params = MultiValueDict[str, str]
Webhook = Callable[[HttpRequest, Params], HttpResponse]


class WebhookRejectedError(Exception):
    """Why a request is not a usable Twilio webhook (400); nothing is stored for it."""


def parse_form(request: HttpRequest) -> Params:
    """The form body, strictly: at most INTAKE_MAX_BODY_BYTES, form-encoded, UTF-8. Django's own
    parser would quietly replace bad bytes; a report must be stored as sent or not at all."""
    if not request.content_type == "application/x-www-form-urlencoded":
        raise WebhookRejectedError("expected a form-encoded body")
    body = request.body
    if len(body) > settings.INTAKE_MAX_BODY_BYTES:
        raise WebhookRejectedError("body too large")
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRejectedError("body is not valid UTF-8 form data") from exc
    params: Params = MultiValueDict()
    for key, value in pairs:
        params.appendlist(key, value)
    return params


def clean(value: str) -> str:
    """Text as it can be stored: PostgreSQL refuses NUL characters."""
    return value.replace("\x00", "")


def signature_is_valid(request: HttpRequest, params: Params) -> bool:
    """Twilio signs the URL it called plus every parameter (repeated ones included). The URL is
    rebuilt from PUBLIC_BASE_URL, never from the Host header a client can set."""
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature)


def twilio_webhook(*required: str) -> Callable[[Webhook], Callable[[HttpRequest], HttpResponse]]:
    """Turns a view of (request, params) into a Twilio webhook: 400 for a body that is too large,
    badly encoded or missing `required` fields, 403 for a missing or wrong signature."""

    def decorate(view: Webhook) -> Callable[[HttpRequest], HttpResponse]:
        @wraps(view)
        def webhook(request: HttpRequest) -> HttpResponse:
            try:
                params = parse_form(request)
            except WebhookRejectedError as exc:
                logger.info("twilio_webhook_rejected", extra={"reason": str(exc)})
                return HttpResponseBadRequest(str(exc))
            if not signature_is_valid(request, params):
                logger.warning("twilio_signature_invalid", extra={"path": request.path})
                return HttpResponseForbidden()
            missing = [name for name in required if not params.get(name)]
            if missing:
                return HttpResponseBadRequest(f"missing {', '.join(missing)}")
            problem = shape_problem(params)
            if problem:
                logger.info("twilio_webhook_rejected", extra={"reason": problem})
                return HttpResponseBadRequest(problem)
            return view(request, params)

        return webhook

    return decorate


# Twilio's ids are 34 characters (two letters, 32 hex digits); anything longer than the columns
# that keep them, or with other characters, is not Twilio's and would fail in the database (500).
SID_FIELDS = ("MessageSid", "SmsSid", "CallSid", "RecordingSid", "TranscriptionSid", "AccountSid")
SID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Seconds; a recording is at most four hours. Larger numbers would overflow the column.
MAX_RECORDING_SECONDS = 24 * 3600


def shape_problem(params: Params) -> str:
    """Why the fields cannot be Twilio's ("" when they can): checked before anything is stored, so
    a strange request is a 400, never a 500 that Twilio would retry."""
    for name in SID_FIELDS:
        values = params.getlist(name)
        if any(not SID.fullmatch(value) for value in values):
            return f"{name} is not a Twilio id"
    duration = params.get("RecordingDuration", "")
    if duration and not (
        duration.isascii()
        and duration.isdigit()
        and len(duration) <= 6  # before int(): Python refuses to read very long numbers
        and int(duration) <= MAX_RECORDING_SECONDS
    ):
        return "RecordingDuration is not a number of seconds"
    return ""


def sender_of(params: Params) -> str:
    """The caller's or sender's number in E.164 (Twilio sends E.164; a withheld number is kept
    as sent, e.g. "anonymous", so a case still opens)."""
    raw = clean(params.get("From", ""))
    return to_e164(raw.removeprefix(WHATSAPP_PREFIX)) or raw


WHATSAPP_PREFIX = "whatsapp:"


def messaging_channel(params: Params) -> str:
    """The channel of an inbound message: Twilio sends WhatsApp messages to the same messaging
    webhook as texts, from a `whatsapp:` address."""
    if params.get("From", "").startswith(WHATSAPP_PREFIX):
        return "whatsapp"
    return "sms"


def recipient_of(params: Params) -> str:
    """Our number the message or call was sent to, without WhatsApp's address prefix: a helpline
    answers texts and WhatsApp messages on the same number."""
    return params.get("To", "").removeprefix(WHATSAPP_PREFIX)


def media_urls(params: Params) -> list[str]:
    """MMS attachments' URLs (Twilio sends at most 10)."""
    urls = (params.get(f"MediaUrl{i}", "") for i in range(10))
    return [clean(url) for url in urls if url]


def raw_fields(params: Params) -> dict[str, list[str]]:
    return {key: [clean(v) for v in params.getlist(key)] for key in params}


def twiml(response: MessagingResponse | VoiceResponse) -> HttpResponse:
    return HttpResponse(str(response), content_type="text/xml")


def sms_reply(text: str) -> HttpResponse:
    response = MessagingResponse()
    if text:
        response.message(text)
    return twiml(response)


def record_call(*, greeting: str, language: str, recording_url: str, transcription_url: str,
                max_seconds: int) -> HttpResponse:  # fmt: skip
    response = VoiceResponse()
    response.say(greeting, language=language)
    response.record(
        action=recording_url,  # after recording: our answer ends the call
        recording_status_callback=recording_url,
        transcribe=True,
        transcribe_callback=transcription_url,
        max_length=max_seconds,
        play_beep=True,
        timeout=10,
    )
    response.hangup()
    return twiml(response)


def hang_up(thanks: str, language: str) -> HttpResponse:
    response = VoiceResponse()
    response.say(thanks, language=language)
    response.hangup()
    return twiml(response)


class RecordingUnavailableError(Exception):
    """The recording could not be fetched (not a Twilio URL, Twilio refused or was unreachable).
    The message never carries the URL: it names the caller's recording at the provider."""


def media_url(url: str) -> str | None:
    """The recording's address if it may be fetched with the account's credentials: https, port
    443, on a host in TWILIO_MEDIA_HOSTS. Anything else came from a webhook field and could send
    our Twilio credentials, or a request from inside our network, anywhere."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or port not in (None, 443) or parts.username or parts.password:
        return None
    if parts.hostname not in settings.TWILIO_MEDIA_HOSTS:
        return None
    return f"https://{parts.hostname}{parts.path}.mp3"


def fetch_recording(url: str, *, whole: bool = False) -> Iterator[bytes]:
    """The recording's audio (MP3), streamed with the account's credentials, never following a
    redirect elsewhere (requests would resend the credentials only to the same host, but a
    redirect could still leave https). With `whole`, a stream that breaks half-way raises
    RecordingUnavailableError instead of ending short: a copy to keep must be the whole call."""
    address = media_url(url)
    if address is None:
        raise RecordingUnavailableError("recording URL is not an allowed https address")
    try:
        response = requests.get(
            address,
            auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
            stream=True,
            timeout=(3, 30),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        # requests puts the URL in its messages: only the kind of failure goes on.
        raise RecordingUnavailableError(type(exc).__name__) from None
    if response.status_code != 200:
        response.close()
        raise RecordingUnavailableError(f"provider answered {response.status_code}")
    return _chunks(response, whole=whole)


def _chunks(response: requests.Response, *, whole: bool) -> Iterator[bytes]:
    try:
        yield from response.iter_content(chunk_size=64 * 1024)
    except requests.RequestException as exc:
        if whole:
            raise RecordingUnavailableError(f"stream broken: {type(exc).__name__}") from None
        # The stream broke half-way: the answer is already under way, so it just ends short.
        logger.warning("recording_stream_broken")
    finally:
        response.close()


def delete_recording(recording_sid: str) -> None:
    """Delete the provider's copy of a recording (Twilio's REST API, with the account's
    credentials) once Lantern keeps its own. Already gone (404) is done too: an earlier delete
    whose answer was lost. RecordingUnavailableError when the provider did not delete it."""
    account = settings.TWILIO_ACCOUNT_SID
    if not account or not SID.fullmatch(recording_sid) or not SID.fullmatch(account):
        raise RecordingUnavailableError("no Twilio account or recording id to delete with")
    base = (settings.TWILIO_API_BASE_URL or "https://api.twilio.com").rstrip("/")
    try:
        response = requests.delete(
            f"{base}/2010-04-01/Accounts/{account}/Recordings/{recording_sid}.json",
            auth=(account, settings.TWILIO_AUTH_TOKEN),
            timeout=(3, 30),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise RecordingUnavailableError(type(exc).__name__) from None
    response.close()
    if response.status_code not in (200, 204, 404):
        raise RecordingUnavailableError(f"provider answered {response.status_code}")
