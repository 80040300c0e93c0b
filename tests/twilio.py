"""Signed Twilio webhooks for tests, signed by Twilio's own RequestValidator."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.test import Client
from django.utils.datastructures import MultiValueDict
from twilio.request_validator import RequestValidator

AUTH_TOKEN = "test-twilio-auth-token"  # a made-up token for the tests' Twilio


def sign(path: str, params: dict[str, str] | list[tuple[str, str]], token: str = AUTH_TOKEN) -> str:
    pairs = params.items() if isinstance(params, dict) else params
    grouped: MultiValueDict[str, str] = MultiValueDict()
    for key, value in pairs:
        grouped.appendlist(key, value)
    return RequestValidator(token).compute_signature(settings.PUBLIC_BASE_URL + path, grouped)


def post_signed(client: Client, path: str, params: dict[str, str] | list[tuple[str, str]], **extra):
    """POST form-encoded params the way Twilio does, with a valid X-Twilio-Signature."""
    return client.post(
        path,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=sign(path, params),
        **extra,
    )


def sms_params(sid: str, sender: str = "+447700900123", body: str = "Help", **more: str) -> dict:
    return {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+447700900000",
        "Body": body,
        "NumMedia": "0",
        **more,
    }
