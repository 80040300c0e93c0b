"""Forms for cases.references: add or end a way of reaching a person, add or take off a reference
(on a person: its page; on a case: the case page). They only shape input; the service decides
whether the change is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from cases.models import ContactType, ReferenceType

REASON_HELP = "Kept in the history with the change."


class PersonForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")


def _reason(label: str = "Why") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=500,
        help_text=REASON_HELP,
        error_messages={"required": "Say why"},
    )


def _day(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"],
        error_messages={"invalid": "Enter a real date, like 27/3/2026"},
    )


class AddContactForm(PersonForm):
    kind = forms.ModelChoiceField(
        label="Kind",
        # an address changes with a move (Change details), which keeps the old one
        queryset=ContactType.objects.filter(is_active=True).exclude(
            shape=ContactType.Shape.ADDRESS
        ),
        to_field_name="code",
        empty_label="Choose a kind",
        error_messages={
            "required": "Choose a kind",
            "invalid_choice": "Choose a kind from the list",
        },
    )
    value = forms.CharField(label="Number or address", max_length=2000)
    valid_from = _day("Used since")
    reason = _reason()

    prefix = "contact"


class EndContactForm(PersonForm):
    ended_on = _day("No longer used since")
    reason = _reason()

    prefix = "end"


def reference_kinds(applies_to: str) -> Any:
    return ReferenceType.objects.filter(is_active=True).filter(
        Q(applies_to=applies_to) | Q(applies_to=ReferenceType.Applies.BOTH)
    )


class AddReferenceForm(PersonForm):
    """On a person (the default) or, with `applies_to="case"`, on a case."""

    kind = forms.ModelChoiceField(
        label="Kind",
        queryset=ReferenceType.objects.none(),
        to_field_name="code",
        empty_label="Choose a kind",
        error_messages={
            "required": "Choose a kind",
            "invalid_choice": "Choose a kind from the list",
        },
    )
    value = forms.CharField(label="Reference", max_length=2000)
    issued_by = forms.CharField(
        label="Issued by", max_length=120, required=False, help_text="A force or an agency."
    )
    reason = _reason()

    prefix = "reference"

    def __init__(self, *args: Any, applies_to: str = ReferenceType.Applies.PERSON, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = reference_kinds(applies_to)  # type: ignore[attr-defined]


class RemoveReferenceForm(PersonForm):
    reason = _reason()

    prefix = "remove"
