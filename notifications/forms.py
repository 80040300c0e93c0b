"""Forms for writing to a victim, choosing how alerts arrive and going on or off duty. Shape only:
notifications.services and accounts.services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms

from helpline.forms import ConsoleForm
from notifications.selectors import AlertChoice

# A text longer than this is split by the carrier into many; a victim's phone shows each.
MAX_MESSAGE_LENGTH = 1600


class MessageForm(ConsoleForm):
    channel = forms.ChoiceField(
        label="Send by",
        # WhatsApp reaches only a victim who wrote by WhatsApp, within its window: safe contact
        # says so on the case page and refuses otherwise.
        choices=[("sms", "Text message"), ("whatsapp", "WhatsApp"), ("email", "Email")],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose text message, WhatsApp or email",
            "invalid_choice": "Choose text message, WhatsApp or email",
        },
    )
    text = forms.CharField(
        label="Message",
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Plain words. Anyone holding their phone or reading their email can see it.",
        error_messages={
            "required": "Write the message first",
            "max_length": f"Keep the message to {MAX_MESSAGE_LENGTH} characters",
        },
    )
    # Always accepted, whoever posts it: whether this user may override is the service's to
    # decide (403 for anyone but a supervisor), never silently dropped here.
    override_reason = forms.CharField(
        label="Send even though safe contact says no: why",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only if it must go despite the victim's preferences. Kept with the message "
        "and seen by other supervisors.",
    )
    confirm = forms.BooleanField(
        label="I have checked this is safe to send and the victim will see it",
        error_messages={"required": "Confirm you have checked this is safe to send"},
    )


class DutyForm(forms.Form):
    on_duty = forms.ChoiceField(choices=[("on", "On duty"), ("off", "Off duty")])


# The three ways an alert can reach someone besides the app, by the field-name suffix.
WAYS = (("email", "Email"), ("sms", "Text message"), ("only_on_duty", "Only while on duty"))


class AlertSettingsForm(ConsoleForm):
    """One row of three checkboxes per kind of alert. A way the user has no address for is
    shown switched off, and so is "only while on duty" for those with no duty switch."""

    def __init__(
        self,
        data: Any = None,
        *,
        choices: list[AlertChoice],
        has_email: bool,
        has_phone: bool,
        duty_applies: bool,
    ) -> None:
        super().__init__(data)
        self.choices = choices
        usable = {"email": has_email, "sms": has_phone, "only_on_duty": duty_applies}
        for choice in choices:
            saved = {
                "email": choice.email and has_email,
                "sms": choice.sms and has_phone,
                "only_on_duty": choice.only_on_duty and duty_applies,
            }
            for way, label in WAYS:
                self.fields[self._name(choice.kind, way)] = forms.BooleanField(
                    label=label,
                    required=False,
                    initial=saved[way],
                    disabled=not usable[way],
                )

    @staticmethod
    def _name(kind: str, way: str) -> str:
        return f"{kind.replace('.', '-')}-{way}"

    def rows(self) -> list[tuple[AlertChoice, list[forms.BoundField]]]:
        return [
            (choice, [self[self._name(choice.kind, way)] for way, _ in WAYS])
            for choice in self.choices
        ]

    def chosen(self) -> dict[str, tuple[bool, bool, bool]]:
        """kind -> (email, sms, only on duty), the shape set_alert_preferences takes."""
        return {
            choice.kind: (
                self.cleaned_data[self._name(choice.kind, "email")],
                self.cleaned_data[self._name(choice.kind, "sms")],
                self.cleaned_data[self._name(choice.kind, "only_on_duty")],
            )
            for choice in self.choices
        }
