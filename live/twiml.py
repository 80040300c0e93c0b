"""TwiML for calls that ring operators: the <Dial> that rings their phones, the whisper an
answering operator hears, and the short answers to their key press. Built with Twilio's own
VoiceResponse, so every answer is well-formed XML whatever the words in the settings. No database
work and no personal data here: the caller's number never reaches an operator's phone (the call
shows the helpline's number) nor any URL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from twilio.twiml.voice_response import VoiceResponse

from intake.adapters import twilio


@dataclass(frozen=True)
class Leg:
    """One operator's phone to ring, and the address of the whisper they hear on answering."""

    phone: str
    whisper_url: str


def address(name: str, **query: int) -> str:
    """An absolute webhook address with ids (never a phone number or a name) in its query string:
    Twilio signs the whole URL, so the ids come back as we wrote them."""
    url = settings.PUBLIC_BASE_URL + reverse(f"live-voice:{name}")
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def ring(legs: Sequence[Leg], *, seconds: int, action_url: str, caller_id: str) -> HttpResponse:
    """Ring every leg at once (one leg: in turn); the first to accept is put through. Twilio
    requests `action_url` when the dial ends, answered or not, and plays what it answers."""
    response = VoiceResponse()
    dial = response.dial(
        action=action_url,
        method="POST",
        timeout=seconds,
        # the helpline's number, not the caller's: an operator's phone keeps no victim's number
        caller_id=caller_id or None,
    )
    for leg in legs:
        dial.number(leg.phone, url=leg.whisper_url, method="POST")
    return twilio.twiml(response)


def whisper(*, accept_url: str) -> HttpResponse:
    """What an answering operator hears: one key to take the call; silence or any other key ends
    their leg only (the caller keeps ringing the others)."""
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1,
        action=accept_url,
        method="POST",
        timeout=settings.VOICE_WHISPER_SECONDS,
    )
    gather.say(settings.VOICE_WHISPER, language=settings.VOICE_LANGUAGE)
    response.hangup()
    return twilio.twiml(response)


def put_through() -> HttpResponse:
    """An empty answer ends the whisper, and Twilio bridges this leg to the caller."""
    return twilio.twiml(VoiceResponse())


def end_leg(words: str = "") -> HttpResponse:
    """Hang up the operator's leg (or the caller's call), with a few words first if given."""
    response = VoiceResponse()
    if words:
        response.say(words, language=settings.VOICE_LANGUAGE)
    response.hangup()
    return twilio.twiml(response)


def leave_a_message() -> HttpResponse:
    """Nobody took the call: the greeting and a recording, exactly as before calls rang anyone
    (intake's own recording and transcription callbacks)."""
    return twilio.record_call(
        greeting=settings.VOICE_GREETING,
        language=settings.VOICE_LANGUAGE,
        recording_url=settings.PUBLIC_BASE_URL + reverse("intake:voice-recording"),
        transcription_url=settings.PUBLIC_BASE_URL + reverse("intake:voice-transcription"),
        max_seconds=settings.VOICE_MAX_RECORDING_SECONDS,
    )
