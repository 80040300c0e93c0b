"""The safe-contact box in words (UX.md 18): every answer a victim gave about how and when they may
be reached, as the lines every page and the printed case file show. One place, so no page shows
half of it; an answer not given is said. Also the answers themselves, as every form and the API
take them, with the rules an "allowed" answer must keep and the shape they are stored in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.utils.translation import get_language_info

CONTACT_WORDS = {
    "none": "Do not contact",
    "only_if_i_contact_first": "Only if they contact us first",
    "allowed": "Allowed",
}
WAY_WORDS = {"phone": "Phone call", "sms": "Text message", "whatsapp": "WhatsApp", "email": "Email"}


@dataclass(frozen=True)
class ContactLine:
    label: str
    words: str
    warning: bool = False  # a limit staff must not miss: shown strong


def _hours(prefs: Mapping[str, Any]) -> str:
    start, end = prefs.get("safe_from") or "", prefs.get("safe_until") or ""
    window = f"{start} to {end}" if start and end else ""
    said = str(prefs.get("safe_times") or "").strip()
    if window and said:
        return f"{window} ({said})"
    return window or said or "Not given: any time they said contact is allowed"


def _language(code: str) -> str:
    try:
        return str(get_language_info(code)["name"])
    except KeyError:
        return code


def contact_lines(prefs: Mapping[str, Any] | None) -> list[ContactLine]:
    """The victim's safe-contact answers as labelled lines, in the order staff need them."""
    prefs = prefs or {}
    contact = prefs.get("contact")
    lines = [
        ContactLine(
            "Contact",
            CONTACT_WORDS.get(str(contact), "Not known: do not contact"),
            warning=contact != "allowed",
        )
    ]
    ways = [WAY_WORDS.get(str(way), str(way)) for way in prefs.get("channels") or []]
    lines.append(ContactLine("Ways", ", ".join(ways) if ways else "None given"))
    lines.append(ContactLine("Safe hours", _hours(prefs)))
    if prefs.get("no_text"):
        lines.append(ContactLine("Texts", "Do not text", warning=True))
    lines.append(
        ContactLine("Voicemail", "Do not leave voicemail", warning=True)
        if prefs.get("no_voicemail")
        else ContactLine("Voicemail", "May leave voicemail")
    )
    lines.append(
        ContactLine("Organisation", "Do not name the organisation", warning=True)
        if prefs.get("no_org_name")
        else ContactLine("Organisation", "May be named")
    )
    lines.append(
        ContactLine(
            "Updates", "Wants automatic updates" if prefs.get("updates") else "No automatic updates"
        )
    )
    lines.append(
        ContactLine(
            "Portal",
            "Wants to follow their report online"
            if prefs.get("portal")
            else "Not using the portal",
        )
    )
    lines.append(ContactLine("Language", _language(str(prefs.get("language") or "en"))))
    return lines


# The answers as asked and stored (the public form, the console's verify form, the API) -----------


class Contact:
    NONE = "none"
    ONLY_IF_I_CONTACT_FIRST = "only_if_i_contact_first"
    ALLOWED = "allowed"
    CHOICES = [
        (NONE, "Do not contact me"),
        (ONLY_IF_I_CONTACT_FIRST, "Only if I contact you first"),
        (ALLOWED, "Yes, you can contact me"),
    ]


class Channel:
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    # A way of its own (notifications.safe_contact): to the number they wrote to us from by
    # WhatsApp, only within WhatsApp's window after their message, so it needs no phone here.
    WHATSAPP = "whatsapp"
    CHOICES = [
        (PHONE, "Phone call"),
        (SMS, "Text message"),
        (WHATSAPP, "WhatsApp"),
        (EMAIL, "Email"),
    ]


# The problems a "yes, you can contact me" answer can have; each form words them for its reader.
NO_WAYS, NO_PHONE, NO_EMAIL, TEXT_AND_NO_TEXT, HALF_HOURS = (
    "no_ways",
    "no_phone",
    "no_email",
    "text_and_no_text",
    "half_hours",
)


def problems(data: dict[str, Any], *, phone_field: str) -> list[tuple[str, str]]:
    """(field, problem) for each rule an "allowed" answer breaks; none for any other answer."""
    if data.get("contact") != Contact.ALLOWED:
        return []
    channels = set(data.get("channels") or [])
    found = []
    if not channels:
        found.append(("channels", NO_WAYS))
    if channels & {Channel.PHONE, Channel.SMS} and not data.get(phone_field):
        found.append((phone_field, NO_PHONE))
    if Channel.EMAIL in channels and not data.get("email"):
        found.append(("email", NO_EMAIL))
    if Channel.SMS in channels and data.get("no_text"):
        found.append(("no_text", TEXT_AND_NO_TEXT))
    if bool(data.get("safe_from")) != bool(data.get("safe_until")):
        found.append(("safe_until" if data.get("safe_from") else "safe_from", HALF_HOURS))
    return found


def preferences(data: dict[str, Any], contact: str) -> dict[str, Any]:
    """The stored shape: the same keys every time, so staff screens, exports and the safe-contact
    function (notifications.safe_contact) can rely on them."""
    allowed = contact == Contact.ALLOWED
    return {
        "contact": contact,
        # Ways to reach someone are kept only when they said yes: never a channel to act on
        # against an explicit "do not contact me".
        "channels": list(data.get("channels") or []) if allowed else [],
        "no_voicemail": bool(data.get("no_voicemail")),
        "no_text": bool(data.get("no_text")),
        "no_org_name": bool(data.get("no_org_name")),
        # automatic updates only for someone who said we may contact them
        "updates": bool(data.get("updates")) and allowed,
        # The victim portal (portal.invitations): kept whatever the contact answer, so a "yes"
        # with "do not contact me" still opens their access; the safe-contact function then
        # keeps the invitation and every sign-in code as not sent, with the reason.
        "portal": bool(data.get("portal")),
        "safe_times": data.get("safe_times", ""),
        "safe_from": _hhmm(data.get("safe_from")),
        "safe_until": _hhmm(data.get("safe_until")),
        "language": data.get("language") or "en",
        "email": data.get("email", ""),
    }


def _hhmm(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""
