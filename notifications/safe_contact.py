"""Safe contact (DESIGN rule 7): the one function that decides whether a message may go to a victim,
by which channel and when, from the preferences they gave. Every outbound path to a victim asks
here, automated or typed by staff, when it is queued and again when it is sent. Deny by default:
no preferences, or ones it cannot read, mean no contact.

The stored preferences (cases.contact.preferences) are:
`contact` "none" | "only_if_i_contact_first" | "allowed"; `channels` ["phone", "sms", "email",
"whatsapp"];
`no_text`, `no_voicemail`, `no_org_name`, `updates` (automatic updates wanted) booleans;
`safe_from`, `safe_until` "HH:MM" (local time; the window may cross midnight); `email`.

WhatsApp is a way of its own: allowed only if the victim named it, a STOP from their phone stops
it as it stops texts, and a free-form WhatsApp message can only go within WHATSAPP_SESSION_HOURS
of the victim's last WhatsApp message (Twilio's session window): outside it nothing can send it,
so the refusal cannot be overridden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

SMS, EMAIL, PHONE, WHATSAPP = "sms", "email", "phone", "whatsapp"
CHANNELS = (SMS, EMAIL, PHONE, WHATSAPP)
# Ways that reach the victim's phone as a message: a STOP from that phone stops both.
MESSAGING = (SMS, WHATSAPP)
# A message the victim reads in the portal, signed in: nothing leaves Lantern, so nothing can be
# seen on a shared phone. Its neutral "new message" notice is a separate sms/email message that
# meets every rule below.
PORTAL = "portal"
NONE, ONLY_IF_FIRST, ALLOWED = "none", "only_if_i_contact_first", "allowed"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # why not, in words staff read (never personal data)
    code: str = ""  # why not, for code: "no_updates", "stop", "do_not_contact"...
    not_before: datetime | None = None  # allowed, but only from then (outside their safe hours)
    discreet: bool = False  # the message must not name the organisation
    no_voicemail: bool = False
    # a supervisor may send anyway, with a reason; never past a STOP or to no address
    overridable: bool = True


def _deny(code: str, reason: str, *, overridable: bool = True) -> Decision:
    return Decision(allowed=False, reason=reason, code=code, overridable=overridable)


def decide(
    preferences: Mapping[str, Any] | None,
    channel: str,
    *,
    now: datetime,
    has_address: bool,
    texted_stop: bool = False,
    victim_wrote_at: datetime | None = None,
    automated: bool = False,
) -> Decision:
    """May a message go to this victim by `channel` now? `victim_wrote_at` is when they last wrote
    to us (for "only if I contact you first"; for WhatsApp, their last WhatsApp message, which
    also opens its session window); `automated` is for updates nobody typed.
    A portal message is always allowed, at any hour, even to a victim who asked for no contact:
    it waits in the portal until they sign in themselves."""
    if channel == PORTAL:
        return Decision(allowed=True)
    if channel not in CHANNELS:
        return _deny("channel", "Lantern cannot contact anyone that way.", overridable=False)
    if not has_address:
        what = {EMAIL: "email address", WHATSAPP: "WhatsApp number (they never wrote by WhatsApp)"}
        return _deny(
            "no_address",
            f"No {what.get(channel, 'phone number')} is recorded for the victim.",
            overridable=False,
        )
    if channel in MESSAGING and texted_stop:
        return _deny(
            "stop",
            "The victim's phone sent STOP: no texts or WhatsApp messages until it sends START.",
            overridable=False,
        )
    session_ends = None
    if channel == WHATSAPP:
        session_ends = _whatsapp_session_end(victim_wrote_at)
        if session_ends is None or now >= session_ends:
            return _deny(
                "whatsapp_window",
                "WhatsApp allows a message only within "
                f"{settings.WHATSAPP_SESSION_HOURS} hours of the victim's last WhatsApp message, "
                "and that time has passed: contact them another safe way.",
                overridable=False,
            )
    prefs = preferences or {}
    contact = prefs.get("contact")
    if contact == NONE:
        return _deny("do_not_contact", "The victim asked not to be contacted.")
    if contact == ONLY_IF_FIRST:
        window = timedelta(hours=settings.SAFE_CONTACT_REPLY_HOURS)
        # A reply the way they wrote: a text to a text, WhatsApp to a WhatsApp message (for
        # WhatsApp `victim_wrote_at` is their last WhatsApp message only).
        if channel not in MESSAGING or victim_wrote_at is None or now - victim_wrote_at > window:
            return _deny(
                "only_if_first",
                "Only if the victim contacts us first: reply by text (or WhatsApp, if they "
                f"wrote by WhatsApp) within {settings.SAFE_CONTACT_REPLY_HOURS} hours of their "
                "message.",
            )
    elif contact == ALLOWED:
        if channel not in (prefs.get("channels") or []):
            return _deny("channel_not_safe", f"The victim did not say {_label(channel)} is safe.")
        if channel == SMS and prefs.get("no_text"):
            return _deny("no_text", "The victim asked not to be texted.")
    else:
        return _deny(
            "no_preferences", "No safe-contact preferences are recorded: ask the victim first."
        )
    if automated and not prefs.get("updates"):
        return _deny("no_updates", "The victim did not ask for automatic updates.")
    not_before = next_safe_moment(prefs, now)
    if session_ends is not None and not_before is not None and not_before >= session_ends:
        return _deny(
            "whatsapp_window",
            "Their safe hours open only after WhatsApp's "
            f"{settings.WHATSAPP_SESSION_HOURS}-hour window since their last WhatsApp message "
            "closes: contact them another safe way.",
            overridable=False,
        )
    return Decision(
        allowed=True,
        not_before=not_before,
        discreet=bool(prefs.get("no_org_name")),
        no_voicemail=bool(prefs.get("no_voicemail")),
    )


def _label(channel: str) -> str:
    return {SMS: "a text message", EMAIL: "email", PHONE: "a phone call", WHATSAPP: "WhatsApp"}[
        channel
    ]


def _whatsapp_session_end(last_whatsapp: datetime | None) -> datetime | None:
    """When Twilio stops taking free-form WhatsApp messages to them (None: it never opened)."""
    if last_whatsapp is None:
        return None
    return last_whatsapp + timedelta(hours=settings.WHATSAPP_SESSION_HOURS)


def _clock(value: Any) -> time | None:
    try:
        return time.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def next_safe_moment(prefs: Mapping[str, Any], now: datetime) -> datetime | None:
    """None when now is inside the victim's safe hours (or they gave none); else when the next
    window opens, in local time, so a clock change moves it with the wall clock."""
    start, end = _clock(prefs.get("safe_from")), _clock(prefs.get("safe_until"))
    if start is None or end is None or start == end:
        return None
    local = timezone.localtime(now)
    at = local.timetz().replace(tzinfo=None)
    inside = start <= at < end if start < end else (at >= start or at < end)
    if inside:
        return None
    day = local.date() if at < start else local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, start))
