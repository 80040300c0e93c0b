"""How a victim said it is safe to reach them: the answers both the public form and the console's
verify form collect, checked by the same rules and stored in the same shape, so a preference means
the same wherever it was given. Only the wording of the problems differs, by who reads it."""

from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.utils import timezone

from cases.contact import (  # noqa: F401  (the forms read them from here, with the form pieces)
    HALF_HOURS,
    NO_EMAIL,
    NO_PHONE,
    NO_WAYS,
    TEXT_AND_NO_TEXT,
    Channel,
    Contact,
    preferences,
    problems,
)
from project.phones import to_e164


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


def add_problems(form: forms.Form, *, phone_field: str, wording: dict[str, str]) -> None:
    """Report each problem on its field, unless that field already has an error of its own."""
    for name, problem in problems(form.cleaned_data, phone_field=phone_field):
        if name not in form.errors:
            form.add_error(name, wording[problem])


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
