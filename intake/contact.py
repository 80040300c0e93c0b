"""How a victim said it is safe to reach them: the answers both the public form and the console's
verify form collect, checked by the same rules and stored in the same shape, so a preference means
the same wherever it was given. Only the wording of the problems differs, by who reads it."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from project.phones import to_e164


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
    CHOICES = [(PHONE, "Phone call"), (SMS, "Text message"), (EMAIL, "Email")]


# The problems a "yes, you can contact me" answer can have; each form words them for its reader.
NO_WAYS, NO_PHONE, NO_EMAIL, TEXT_AND_NO_TEXT, HALF_HOURS = (
    "no_ways",
    "no_phone",
    "no_email",
    "text_and_no_text",
    "half_hours",
)


def safe_hour_field(label: str, help_text: str = "") -> forms.TimeField:
    """A safe-hours time (native time picker), as both forms ask it: `safe_from` and
    `safe_until`. The safe-contact function holds messages until the window opens."""
    return forms.TimeField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time, like 18:30"},
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


def add_problems(form: forms.Form, *, phone_field: str, wording: dict[str, str]) -> None:
    """Report each problem on its field, unless that field already has an error of its own."""
    for name, problem in problems(form.cleaned_data, phone_field=phone_field):
        if name not in form.errors:
            form.add_error(name, wording[problem])


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
        "safe_times": data.get("safe_times", ""),
        "safe_from": _hhmm(data.get("safe_from")),
        "safe_until": _hhmm(data.get("safe_until")),
        "language": data.get("language") or "en",
        "email": data.get("email", ""),
    }


def _hhmm(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def phone_or_error(value: str, example: str) -> str:
    """The E.164 form of a typed phone number ("" for none), or a form error showing `example`."""
    value = value.strip()
    if not value:
        return ""
    phone = to_e164(value)
    if not phone:
        raise forms.ValidationError(f"Enter a phone number, like {example}")
    return phone


def not_in_future(day: date | None) -> date | None:
    if day and day > timezone.localdate():
        raise forms.ValidationError("The date must be today or in the past")
    return day


def start_of(day: date | None) -> datetime | None:
    """A day asked for without a time: stored as the start of that day in local time, by both
    forms, so both kinds of report read the same."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))
