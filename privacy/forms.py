"""What the data-protection forms share."""

from __future__ import annotations

from django import forms


def person_number_field() -> forms.IntegerField:
    """A person named by their number on the person's page: a request never carries a name."""
    return forms.IntegerField(
        label="Person number",
        min_value=1,
        help_text="The number on the person's page (People, then the person): never their name.",
        error_messages={"required": "Enter the person's number.", "invalid": "Enter a number."},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
