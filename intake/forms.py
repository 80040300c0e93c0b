"""The public report form (UX.md 5e). Only "what happened" is required: every other question can be
skipped, nothing is pre-ticked, and the answers about contact become the victim's preferences."""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from cases.models import Category
from intake.contact import (
    HALF_HOURS,
    NO_EMAIL,
    NO_PHONE,
    NO_WAYS,
    TEXT_AND_NO_TEXT,
    Channel,
    Contact,
    add_problems,
    not_in_future,
    phone_or_error,
    preferences,
    safe_hour_field,
    start_of,
)

MAX_REPORT_CHARS = 5000
HONEYPOT_FIELD = "leave_blank"
# secrets.token_urlsafe(16): 16 random bytes, 22 URL-safe base64 characters.
SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{22}")
NULL = "\x00"
LOOKUP_CODE = re.compile(r"[-a-zA-Z0-9_]{1,64}")


def new_submission_id() -> str:
    return secrets.token_urlsafe(16)


def honeypot_filled(data: Any) -> bool:
    """People never see the field; only software fills it in."""
    return bool(str(data.get(HONEYPOT_FIELD, "")).strip())


class FreeTextField(forms.CharField):
    """Text as typed, less NUL characters: a stray NUL (pasted, or from a broken keyboard app) must
    not cost a victim their report, and the database cannot store it."""

    def to_python(self, value: Any) -> str:
        if isinstance(value, str):
            value = value.replace(NULL, "")
        return super().to_python(value)


class LookupChoiceField(forms.ModelChoiceField):
    """Only a well-formed code reaches the database: some databases fail, rather than find
    nothing, on odd characters such as NUL."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not LOOKUP_CODE.fullmatch(str(value)):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class SafeNow:
    YES = "yes"
    NO = "no"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"
    CHOICES = [
        (YES, "Yes, I am safe right now"),
        (NO, "No, I am not safe right now"),
        (PREFER_NOT_TO_SAY, "I prefer not to say"),
    ]


PROBLEMS = {
    NO_WAYS: "Choose how we can contact you",
    NO_PHONE: "Enter a phone number so we can call or text you",
    NO_EMAIL: "Enter an email address so we can email you",
    TEXT_AND_NO_TEXT: "You chose text message and also 'do not text me'. Choose one.",
    HALF_HOURS: "Give both times, from and until, or neither",
}

CHOOSE_ONE = {"invalid_choice": "Choose one of the options"}


def _text(widget: forms.Widget | None = None, **kwargs: Any) -> FreeTextField:
    return FreeTextField(required=False, widget=widget or forms.TextInput, **kwargs)


class ReportForm(forms.Form):
    """Field names are the stable keys the view and the tests post."""

    submission_id = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": "Something went wrong. Check your answers and send again."},
    )
    what_happened = FreeTextField(
        label="What happened?",
        help_text="Write as much or as little as you want, up to 5,000 characters.",
        max_length=MAX_REPORT_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": "Tell us what happened",
            "max_length": "Write 5,000 characters or fewer. You wrote %(show_value)d.",
        },
    )
    when = forms.DateField(
        label="When did it happen? (optional)",
        help_text="If you are not sure, leave this empty.",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y"],
        error_messages={"invalid": "Enter a real date, like 27/3/2026"},
    )
    where = _text(
        label="Where did it happen? (optional)",
        help_text="For example, at home, at work or the name of a town.",
        max_length=500,
        error_messages={"max_length": "Write 500 characters or fewer."},
    )
    category = LookupChoiceField(
        label="What kind of harm was it? (optional)",
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        empty_label="I am not sure, or I prefer not to say",
        error_messages={"invalid_choice": "Choose a kind of harm from the list"},
    )
    safe_now = forms.ChoiceField(
        label="Are you safe right now?",
        choices=SafeNow.CHOICES,
        required=False,
        widget=forms.RadioSelect,
        error_messages=CHOOSE_ONE,
    )
    contact = forms.ChoiceField(
        label="Is it safe for us to contact you?",
        help_text="If you do not choose, we will not contact you.",
        choices=Contact.CHOICES,
        required=False,
        widget=forms.RadioSelect,
        error_messages=CHOOSE_ONE,
    )
    channels = forms.MultipleChoiceField(
        label="How can we contact you?",
        help_text="Choose all that are safe. By WhatsApp we can only answer a message you send "
        "us there, within a day of it.",
        choices=Channel.CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=CHOOSE_ONE,
    )
    no_voicemail = forms.BooleanField(label="Do not leave a voicemail", required=False)
    no_text = forms.BooleanField(label="Do not send me text messages", required=False)
    no_org_name = forms.BooleanField(
        label="Do not say the name of the organisation", required=False
    )
    updates = forms.BooleanField(
        label="Send me a short message when there is news about my report",
        help_text="It only says you have an update, never what happened or who we are.",
        required=False,
    )
    portal = forms.BooleanField(
        label="Let me follow my report online",
        help_text="We send a code to a safe way of contact each time you sign in. Nothing is "
        "sent unless you say yes.",
        required=False,
    )
    safe_from = safe_hour_field(
        "Safe to contact me from (optional)", "We will only send messages between these times."
    )
    safe_until = safe_hour_field("Until")
    safe_times = _text(
        label="Anything else about when it is safe? (optional)",
        help_text="For example, weekdays between 10am and 2pm.",
        max_length=200,
        error_messages={"max_length": "Write 200 characters or fewer."},
    )
    name = _text(
        label="Your name (optional)",
        help_text="You do not have to tell us. A first name or a made-up name is fine.",
        max_length=200,
        error_messages={"max_length": "Write 200 characters or fewer."},
    )
    phone = _text(
        label="Phone number (optional)",
        help_text="Only if we can call or text you. For example, 07700 900 982.",
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel"}),
        error_messages={"max_length": "Enter a phone number, like 07700 900 982"},
    )
    email = forms.EmailField(
        label="Email address (optional)",
        help_text="Only if we can email you.",
        required=False,
        max_length=254,
        error_messages={
            "invalid": "Enter an email address, like name@example.com",
            "max_length": "Enter an email address, like name@example.com",
        },
    )
    leave_blank = forms.CharField(label="Leave this blank", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A browser on a shared phone must not offer these answers to the next person who types.
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")
        # No maxlength on the text box: browsers cut off a long paste without a word.
        self.fields["what_happened"].widget.attrs.pop("maxlength", None)
        self.fields["when"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields[HONEYPOT_FIELD].widget.attrs.update({"tabindex": "-1"})

    # Fields --------------------------------------------------------------------------------------

    def clean_submission_id(self) -> str:
        value = self.cleaned_data["submission_id"]
        if not SUBMISSION_ID.fullmatch(value):
            raise forms.ValidationError("Something went wrong. Check your answers and send again.")
        return value

    def clean_when(self) -> date | None:
        return not_in_future(self.cleaned_data["when"])

    def clean_phone(self) -> str:
        return phone_or_error(self.cleaned_data["phone"], "07700 900 982")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        add_problems(self, phone_field="phone", wording=PROBLEMS)
        return data

    # What the view needs -------------------------------------------------------------------------

    def contact_preferences(self) -> dict[str, Any]:
        return preferences(self.cleaned_data, self.cleaned_data.get("contact") or Contact.NONE)

    def report_arguments(self) -> dict[str, Any]:
        """Keyword arguments for intake.services.receive_web_report."""
        data = self.cleaned_data
        return {
            "submission_id": data["submission_id"],
            "what_happened": data["what_happened"],
            "category": data.get("category"),
            "occurred_at": start_of(data.get("when")),
            "location": data.get("where", ""),
            # "" when not answered: not the same as choosing "I prefer not to say"
            "safe_now": data.get("safe_now", ""),
            "name": data.get("name", ""),
            "phone": data.get("phone", ""),
            "contact_preferences": self.contact_preferences(),
        }

    # Rendering -----------------------------------------------------------------------------------

    def renew_submission_id(self) -> None:
        """A form sent back with errors gets a fresh id when its own was unusable, so the next
        send can succeed; a good id is kept so a corrected resend is still the same report."""
        if "submission_id" in self.errors:
            self.data = self.data.copy()
            self.data["submission_id"] = new_submission_id()

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary, in page order; each anchor is the first input
        of its question so the link puts the cursor where the answer goes."""
        links = []
        for name, field in self.fields.items():
            for message in self.errors.get(name, []):
                links.append((self._anchor(name, field), message))
        links += [(f"#{self['what_happened'].auto_id}", m) for m in self.non_field_errors()]
        return links

    def _anchor(self, name: str, field: forms.Field) -> str:
        if name == "submission_id":
            return "#report-send"
        bound = self[name]
        if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            return f"#{bound.auto_id}_0"
        return f"#{bound.auto_id}"
