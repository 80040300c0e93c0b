"""How a message leaves Lantern: email through Django's mail (SMTP from EMAIL_URL), SMS through
Twilio's REST client, in-app through the staff member's live pages. The only module that talks to
a provider; a portal message (read by the victim when signed in) goes to none.
notifications.services decides what is sent and records what happened.

A transport raises TransientError when trying again later may work (provider down, rate limited),
PermanentError when it will not (no such number), and OutcomeUnknownError when the provider may
have the message but never said so (it must not be sent again by itself).

WhatsApp goes through the same Twilio Messages API as SMS, between `whatsapp:` addresses, from
settings.TWILIO_WHATSAPP_FROM; its delivery reports come to the same status callback."""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from notifications import realtime
from notifications.models import Notification

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
STATUS_PATH = "/intake/twilio/sms/status/"
TIMEOUT_SECONDS = 10
# HTTP answers after which the same request may work later; every other 4xx is a refusal.
TRANSIENT_STATUSES = {408, 425, 429}
# Twilio's codes for "busy, try later", whatever status they come with.
TRANSIENT_CODES = {20429, 20500, 20503}
# The refusals staff meet most, in words. Never Twilio's own message: it can quote the number.
REFUSAL_WORDS = {
    21211: "not a valid phone number",
    21408: "sending to that region is not enabled",
    21610: "the phone has opted out with the provider (STOP)",
    21612: "the provider cannot reach that number",
    21614: "not a mobile number",
    30007: "filtered by the carrier",
    63003: "that number cannot be reached on WhatsApp",
    63016: "outside WhatsApp's 24-hour reply window",
}


class TransientError(Exception):
    """Sending failed for now; the outbox tries again later."""


class PermanentError(Exception):
    """Sending cannot work as it is (a refused address); the row fails for staff to see."""


class OutcomeUnknownError(Exception):
    """The request went out and no answer came back (a read timeout, a dropped connection): the
    provider may have sent the message, so trying again could text the victim twice."""


class _IdempotentHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, adding the outbox row's key to every request it makes, so a
    retried send of the same row says it is the same message."""

    def __init__(self, key: str) -> None:
        super().__init__(timeout=TIMEOUT_SECONDS)
        self.key = key
        self.answer: Any = None  # the provider's last answer, read to classify an error

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        kwargs["headers"] = {**(kwargs.get("headers") or {}), IDEMPOTENCY_HEADER: self.key}
        self.answer = super().request(method, url, *args, **kwargs)
        return self.answer


def sms_configured() -> bool:
    return bool(
        settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER
    )


def whatsapp_configured() -> bool:
    """WhatsApp goes through the same Twilio account, from the helpline's WhatsApp sender."""
    return sms_configured() and bool(settings.TWILIO_WHATSAPP_FROM)


WHATSAPP_PREFIX = "whatsapp:"


def send(notification: Notification) -> str:
    """Send one row by its channel; returns the provider's id for it ("" when it has none)."""
    if notification.channel == Notification.Channel.IN_APP:
        # Stored is delivered: the list in the app reads the row. The push is a courtesy.
        realtime.notify_user(notification.recipient_id, notification.pk)
        return ""
    if notification.channel == Notification.Channel.PORTAL:
        # Read by the victim in the portal, signed in: stored is delivered, nothing leaves.
        return ""
    if notification.channel == Notification.Channel.EMAIL:
        return _email(notification)
    return _sms(notification)


def _email(notification: Notification) -> str:
    message = EmailMessage(
        subject=notification.subject or "Lantern",
        body=notification.text,
        to=[notification.destination],
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError("The mail server refused the address.") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(f"Mail server: {type(exc).__name__}") from exc
    return ""


def _addresses(notification: Notification) -> tuple[str, str] | None:
    """(to, from) for Twilio's Messages API, or None when that way is not configured. A WhatsApp
    message is the same API call between `whatsapp:` addresses; the row keeps plain E.164."""
    if notification.channel == Notification.Channel.WHATSAPP:
        if not sms_configured():
            return None  # embedded, as for SMS: the row is the record
        if not settings.TWILIO_WHATSAPP_FROM:
            # Twilio is set up but no WhatsApp sender: saying "sent" would be untrue.
            raise PermanentError("No WhatsApp sender is configured (TWILIO_WHATSAPP_FROM).")
        return (
            WHATSAPP_PREFIX + notification.destination,
            WHATSAPP_PREFIX + settings.TWILIO_WHATSAPP_FROM,
        )
    if not sms_configured():
        return None
    return notification.destination, settings.TWILIO_FROM_NUMBER


@contextmanager
def _twilio(key: str) -> Iterator[Client]:
    """Twilio's REST client, sending `key` as the idempotency token, so a retried request never
    sends or rings twice; every way a request fails leaves as the outbox's errors."""
    http = _IdempotentHttpClient(key)
    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http)
    if settings.TWILIO_API_BASE_URL:  # a stand-in for Twilio's API (tests on loopback)
        client.api.base_url = settings.TWILIO_API_BASE_URL
    try:
        yield client
    except (TwilioException, ValueError) as exc:
        # Every shape Twilio answers an error in: TwilioRestException (the classic body, or
        # {"error": {...}}), TwilioServiceException (RFC 9457 problem+json, not a subclass of
        # the former), or a body that is not JSON. Uncaught, the row waited for the sweeper.
        raise _classified(exc, http.answer) from exc
    except OSError as exc:  # requests' connection errors and timeouts are OSErrors
        if _never_connected(exc):
            raise TransientError(f"Twilio unreachable: {type(exc).__name__}") from exc
        raise OutcomeUnknownError(
            f"Twilio did not answer ({type(exc).__name__}): the outcome is unknown."
        ) from exc


def _sms(notification: Notification) -> str:
    addresses = _addresses(notification)
    if addresses is None:
        # Embedded and development: the row is the record; the log names the row, not the person.
        logger.info(
            "sms_outbox_only",
            extra={"notification_id": notification.pk, "channel": notification.channel},
        )
        return ""
    to, from_ = addresses
    key = str(notification.idempotency_key)
    with _twilio(key) as client:
        message = client.messages.create(
            to=to,
            from_=from_,
            body=notification.text,
            # the delivery report names the row, so it is matched even if we never learnt the sid
            status_callback=f"{settings.PUBLIC_BASE_URL}{STATUS_PATH}?key={key}",
        )
    return str(message.sid or "")


def _classified(exc: Exception, answer: Any) -> Exception:
    """The outbox's error for a Twilio answer that was not a created message."""
    status = _number(getattr(answer, "status_code", None)) or _number(getattr(exc, "status", None))
    if status is not None and 200 <= status < 300:
        # Accepted, then unreadable: it may be on its way, so never sent again by itself.
        return OutcomeUnknownError(f"Twilio answered {status} in a form not understood.")
    code = _error_code(getattr(answer, "text", "")) or _number(getattr(exc, "code", None))
    if code == status:  # the twilio library puts the HTTP status where no code came
        code = None
    about = f"HTTP {status}" if status else "no status"
    if code:
        about += f", error {code}"
        if code in REFUSAL_WORDS:
            about += f": {REFUSAL_WORDS[code]}"
    if status is None or status in TRANSIENT_STATUSES or status >= 500 or code in TRANSIENT_CODES:
        return TransientError(f"Twilio could not take the message now ({about})")
    if 400 <= status < 500:
        return PermanentError(f"Twilio refused the message ({about})")
    return TransientError(f"Twilio answered unexpectedly ({about})")


def _error_code(body: str) -> int | None:
    """Twilio's error code from an error body: {"code": ...} (classic and problem+json) or
    {"error": {"code": ...}} (newer APIs); None if there is none or the body is not JSON."""
    try:
        payload = json.loads(body or "")
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    nested = payload.get("error")
    if isinstance(nested, dict) and "code" in nested:
        return _number(nested.get("code"))
    return _number(payload.get("code"))


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _never_connected(exc: OSError) -> bool:
    """Whether no connection to the provider was ever made, so it cannot have the message."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None  # requests wraps urllib3's MaxRetryError
    return isinstance(exc, requests.ConnectionError) and isinstance(
        getattr(cause, "reason", None), NewConnectionError
    )


# Call-backs (live.callback) ---------------------------------------------------------------------


def place_call(*, to: str, from_: str, url: str, status_callback: str, key: str) -> str:
    """Start a call through Twilio's REST API: Twilio rings `to` (the operator's own phone) from
    `from_` and, when it is answered, fetches its instructions from `url`. Returns the call's sid.
    `key` is sent as the idempotency token, so a retried request never rings twice. Raises the
    outbox's errors: TransientError, PermanentError, OutcomeUnknownError (it may be ringing)."""
    with _twilio(key) as client:
        call = client.calls.create(
            to=to,
            from_=from_,
            url=url,
            status_callback=status_callback,
            status_callback_event=["completed"],
            # the operator's phone rings this long; an unanswered one is reported as no-answer
            timeout=settings.CALLBACK_OPERATOR_RING_SECONDS,
        )
    return str(call.sid or "")
