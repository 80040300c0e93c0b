"""The forms of sealed cases and break-glass (privacy.sealing_views). Each has its own prefix: several
sit on the case page at once, and their fields' ids must not clash."""

from __future__ import annotations

from django import forms

from cases.models import BreakGlass

REASON_WIDGET = {"rows": 3}


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need to open it?",
        help_text="Your reason is kept, and a data-protection officer or supervisor reviews it.",
        widget=forms.Textarea(attrs=REASON_WIDGET),
        max_length=2000,
        error_messages={"required": "Say why you need to open this case."},
    )


class OpenSealedForm(forms.Form):
    number = forms.CharField(
        label="Case number",
        max_length=32,
        help_text="The number you were given, for example LNT-2026-000123.",
        error_messages={"required": "Type the case number."},
    )

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip().upper()


class SealForm(forms.Form):
    prefix = "seal"
    named = forms.ModelMultipleChoiceField(
        label="Who else may read it",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="You are named on it yourself. Anyone else must break the glass, with a reason.",
    )
    reason = forms.CharField(
        label="Why seal it?",
        widget=forms.Textarea(attrs=REASON_WIDGET),
        max_length=2000,
        error_messages={"required": "Say why the case is sealed."},
    )

    def __init__(self, *args: object, staff: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["named"].queryset = staff
        self.fields["named"].label_from_instance = lambda user: user.get_username()


class UnsealForm(forms.Form):
    prefix = "unseal"
    reason = forms.CharField(
        label="Why unseal it?",
        widget=forms.Textarea(attrs=REASON_WIDGET),
        max_length=2000,
        error_messages={"required": "Say why the case is unsealed."},
    )


class NameForm(forms.Form):
    prefix = "name"
    user = forms.ModelChoiceField(label="Name", queryset=None)
    reason = forms.CharField(
        label="Why may they read it?",
        max_length=2000,
        error_messages={"required": "Say why they are named on it."},
    )

    def __init__(self, *args: object, staff: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff
        self.fields["user"].label_from_instance = lambda user: user.get_username()


class UnnameForm(forms.Form):
    prefix = "unname"
    reason = forms.CharField(
        label="Why take them off?",
        max_length=2000,
        error_messages={"required": "Say why they are taken off it."},
    )


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Was it justified?",
        choices=[
            (BreakGlass.Outcome.JUSTIFIED, "Justified"),
            (BreakGlass.Outcome.NOT_JUSTIFIED, "Not justified"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether it was justified."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when it was not justified.",
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("outcome") == BreakGlass.Outcome.NOT_JUSTIFIED and not data.get("note"):
            self.add_error("note", "Say why it was not justified.")
        return data
