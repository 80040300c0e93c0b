"""The portal's sign-in questions and the safety settings: one question a page, labels as headings,
hint text, errors in plain words (UX.md 42). Shape only: what the answers mean is for
portal.codes and portal.duress."""

from __future__ import annotations

from django import forms

from portal import duress

NO_MATCH = "Those details do not match. Check the code, or ask for a new one."


class ErrorLinksMixin:
    """The GOV.UK error summary links each message to its field."""

    def error_links(self) -> list[tuple[str, str]]:
        links = []
        for name, errors in self.errors.items():  # type: ignore[attr-defined]
            field = self[name] if name in self.fields else None  # type: ignore[attr-defined,index]
            href = f"#{field.id_for_label}" if field is not None else "#main"
            links += [(href, str(message)) for message in errors]
        return links


class ReferenceForm(ErrorLinksMixin, forms.Form):
    reference = forms.CharField(
        label="What is your case reference?",
        help_text="It is in the message we sent you. For example, LNT-2026-000123.",
        max_length=40,
        error_messages={"required": "Enter your case reference"},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )


class CodeForm(ErrorLinksMixin, forms.Form):
    # A 26-character code in groups (31 with hyphens), or a duress code (up to 12); room for
    # spaces a phone adds when pasting.
    code = forms.CharField(
        label="Enter the code we sent you",
        max_length=60,
        error_messages={"required": "Enter the code from our message"},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args: object, minutes: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Under the heading, where the eye and the screen reader go first (GOV.UK hint text).
        self.fields["code"].help_text = (
            "If the reference is right, we have sent a code to the way of contact you said is "
            f"safe. It works for {minutes} minutes. You can paste it. Capital letters, small "
            "letters, spaces and dashes are all fine."
        )

    def refuse(self) -> None:
        """The one refusal. What was typed is not shown again: it may be a real code, and a
        refused page should look the same whatever was typed."""
        self.add_error("code", NO_MATCH)
        self.data = self.data.copy()
        self.data["code"] = ""


class DuressForm(ErrorLinksMixin, forms.Form):
    duress_code = forms.CharField(
        label="Choose a safety code",
        help_text=(
            f"Use {duress.SHORTEST} to {duress.LONGEST} letters or numbers. Pick something you will "
            "remember but nobody would guess."
        ),
        max_length=40,
        error_messages={"required": "Enter a safety code"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_duress_code(self) -> str:
        try:
            return duress.check_new_code(self.cleaned_data["duress_code"])
        except duress.DuressCodeError as error:
            raise forms.ValidationError(str(error)) from error
