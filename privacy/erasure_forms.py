"""The erasure forms: shape only (privacy.erasure decides the rest)."""

from __future__ import annotations

from django import forms

from privacy.forms import person_number_field
from privacy.models import ErasureRequest


class _ErrorLinks:
    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary, each linked to its field (a radio question
        to its first choice, where the answer goes)."""
        links = []
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            anchor = self[name].auto_id  # type: ignore[index]
            if isinstance(field.widget, forms.RadioSelect):
                anchor = f"{anchor}_0"
            links += [(f"#{anchor}", m) for m in self.errors.get(name, [])]  # type: ignore[attr-defined]
        return links


class ErasureRequestForm(_ErrorLinks, forms.Form):
    person_id = person_number_field()
    ground = forms.ChoiceField(
        label="Ground the person gave",
        choices=ErasureRequest.Ground.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the ground the person gave."},
    )
    reasons = forms.CharField(
        label="Reasons",
        max_length=2000,
        help_text="How and when they asked, and why erasure applies. Another officer reads this.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Give the reasons."},
    )


class DecisionForm(_ErrorLinks, forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("approve", "Approve: erase now"), ("refuse", "Refuse")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose approve or refuse."},
    )
    note = forms.CharField(
        label="Note",
        max_length=2000,
        required=False,
        help_text="Why you approve or refuse. Required to refuse.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not data.get("note", "").strip():
            self.add_error("note", "Say why you refuse.")
        return data
