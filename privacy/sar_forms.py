"""The subject access request form: shape only (privacy.sar decides the rest)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from privacy.forms import person_number_field


class SubjectAccessRequestForm(forms.Form):
    person_id = person_number_field()
    received_on = forms.DateField(
        label="Date the request was received",
        help_text="The answer is due a calendar month after this, on a working day.",
        error_messages={"required": "Enter the date it was received.", "invalid": "Enter a date."},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["received_on"].initial = timezone.localdate()

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary, each linked to its field."""
        return [
            (f"#{self[name].auto_id}", message)
            for name in self.fields
            for message in self.errors.get(name, [])
        ]
