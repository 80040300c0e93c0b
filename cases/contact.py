"""The safe-contact box in words (UX.md 18): every answer a victim gave about how and when they may
be reached, as the lines every page and the printed case file show. One place, so no page shows
half of it. Reads the stored shape of intake.contact.preferences; an answer not given is said."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language_info

CONTACT_WORDS = {
    "none": "Do not contact",
    "only_if_i_contact_first": "Only if they contact us first",
    "allowed": "Allowed",
}
WAY_WORDS = {"phone": "Phone call", "sms": "Text message", "email": "Email"}


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
    lines.append(ContactLine("Language", _language(str(prefs.get("language") or "en"))))
    return lines
