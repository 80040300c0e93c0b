"""The admin's forms for update message types and their words (portal.admin_updates). What they
refuse would otherwise reach a victim wrong: a trigger no event ever sends (the type would never
go), a placeholder Lantern does not fill in (the victim's phone would show "{name}"), or a type
without English words (the fallback for every language). Words that name an organisation are
not refused (a victim may have allowed it) but warned of by the admin page."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError

from cases.events import CASE_EVENTS
from portal.models import UpdateText, UpdateType
from portal.notices import NOTICE_CHANNELS, PLACEHOLDERS

T = UpdateType.Trigger
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
# The portal's own messages (seeded by portal 0002): what each may say, and what it must, or it
# fails the victim (a sign-in code without {code}: nobody could sign in again). Anywhere else
# these placeholders would reach the victim as typed.
SYSTEM_WORDS: dict[str, tuple[set[str], set[str]]] = {  # code: (allowed, needed)
    "portal_invitation": ({"link", "reference"}, {"link", "reference"}),
    "sign_in_code": ({"code", "minutes"}, {"code"}),
    "new_message": ({"link"}, {"link"}),
}
# An appointment's date and time, in the update (title, body): the only event that carries one.
WHEN = "when"
CHANNEL_CHOICES = [("sms", "Text message (SMS)"), ("email", "Email")]


def partner_event_codes() -> dict[str, str]:
    """The crime-system event types an update may answer: read by app label, since the portal
    does not import feeds (both are layer 3 apps)."""
    kinds = apps.get_model("feeds", "PartnerEventType").objects.order_by("position", "label")
    return dict(kinds.values_list("code", "label"))


def placeholder_errors(words: str, allowed: set[str], where: str) -> list[str]:
    errors = []
    for name in PLACEHOLDER.findall(words):
        if name not in allowed:
            known = ", ".join(f"{{{key}}}" for key in sorted(allowed)) or "none"
            errors.append(
                f"{{{name}}} is not something Lantern fills in {where} (it can fill in: {known})."
            )
    if "{" in PLACEHOLDER.sub("", words) or "}" in PLACEHOLDER.sub("", words):
        errors.append("A lone { or } is left in the words: write a placeholder as {link}.")
    return errors


class UpdateTypeForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        choices=CHANNEL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="How the victim may be told there is an update: the first way their "
        "safe-contact answers allow is used.",
    )

    class Meta:
        model = UpdateType
        fields = ["name", "code", "trigger", "event", "channels", "is_active", "position"]
        help_texts = {
            "code": "Short name used inside Lantern (letters, numbers, - and _). It cannot be "
            "changed later.",
            "event": "For a case event: one of "
            + ", ".join(f"{code} ({label})" for code, label in CASE_EVENTS.items())
            + ". For a partner event: the code of a partner event type. Empty when sent by "
            "staff.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "trigger" in self.fields and not self._is_system():
            # nothing would send a new "portal itself" type: those are Lantern's own messages
            self.fields["trigger"].choices = [c for c in T.choices if c[0] != T.SYSTEM]

    def _is_system(self) -> bool:
        return self.instance.pk is not None and self.instance.trigger == T.SYSTEM

    def clean_channels(self) -> list[str]:
        chosen = [c for c in NOTICE_CHANNELS if c in self.cleaned_data.get("channels", [])]
        if not chosen:
            raise ValidationError("Choose at least one way to tell the victim.")
        return chosen

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        trigger, event = data.get("trigger"), (data.get("event") or "").strip()
        data["event"] = event
        if self._is_system() and trigger != T.SYSTEM:
            self.add_error("trigger", "The portal's own messages keep their trigger.")
        elif trigger == T.CASE_EVENT and event not in CASE_EVENTS:
            known = ", ".join(CASE_EVENTS)
            self.add_error("event", f"Choose a case event Lantern sends: {known}.")
        elif trigger == T.PARTNER_EVENT and event not in partner_event_codes():
            self.add_error(
                "event",
                "Choose the code of a partner event type (Feeds > Partner event types).",
            )
        elif trigger in (T.STAFF, T.SYSTEM) and event:
            self.add_error("event", "Leave this empty: no event sets this type off.")
        return data


class UpdateTextForm(forms.ModelForm):
    class Meta:
        model = UpdateText
        fields = ["language", "title", "body", "subject", "notice"]
        help_texts = {
            "language": "A language code such as en, cy or pl.",
            "title": "What the victim sees in the portal, as the update's heading.",
            "body": "What the victim reads in the portal. {when} is an appointment's date and "
            "time (appointment updates only).",
            "notice": "The text or email that tells the victim there is an update. Never what "
            "the update says: plain, neutral words with {link}, the portal's address.",
        }

    def clean_language(self) -> str:
        language = (self.cleaned_data.get("language") or "").strip().lower()
        if not LANGUAGE.match(language):
            raise ValidationError("Write a language code such as en, cy or pl.")
        return language

    def check_words(self, trigger: str, event: str, code: str = "") -> None:
        """Placeholders against what the type's trigger fills in (called by the formset, which
        knows the type's trigger as submitted)."""
        data = self.cleaned_data
        notice_allowed, needed = {"link"}, set()
        if trigger == T.SYSTEM:
            notice_allowed, needed = SYSTEM_WORDS.get(code, ({"link"}, {"link"}))
        for name in sorted(needed):
            if f"{{{name}}}" not in (data.get("notice") or ""):
                self.add_error("notice", f"Put {{{name}}} in this message: the victim needs it.")
        update_allowed = {WHEN} if (trigger, event) == (T.CASE_EVENT, "appointment") else set()
        checks = {
            "notice": (notice_allowed, "in the notice"),
            "subject": (set(), "in the email's subject"),
            "title": (update_allowed, "in this type's title"),
            "body": (update_allowed, "in this type's portal words"),
        }
        for field, (allowed, where) in checks.items():
            allowed &= {*PLACEHOLDERS, WHEN}  # never more than Lantern can fill in
            for error in placeholder_errors(data.get(field) or "", allowed, where):
                self.add_error(field, error)
        if not (data.get("notice") or "").strip():
            self.add_error("notice", "Write the words that tell the victim there is an update.")
        elif trigger != T.SYSTEM and "{link}" not in data["notice"]:
            self.add_error("notice", "Put {link} in the notice: it is how the victim finds it.")
        if trigger != T.SYSTEM and not (data.get("title") or "").strip():
            self.add_error("title", "Give the update a heading the victim will see.")


class UpdateTextFormSet(forms.BaseInlineFormSet):
    """The type's words per language: English is required (every other language falls back to
    it), one text per language, and each is checked against the type's trigger."""

    def clean(self) -> None:
        # Two texts in one language are refused by the model formset itself (the unique
        # constraint), before this runs.
        super().clean()
        # the admin builds the formset on the type as submitted (its form's instance)
        trigger, event = self.instance.trigger, self.instance.event
        languages = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            form.check_words(trigger or "", event or "", self.instance.code or "")
            languages.append(form.cleaned_data.get("language"))
        if "en" not in languages:
            raise ValidationError(
                "Write the English words: every other language falls back to them."
            )
