"""The victim's message form: one question, a textarea (GOV.UK), and a one-time token so that the
same form sent twice is one message. No case, no person, no id: the case is the session's."""

from __future__ import annotations

from django import forms

from portal.messages import MAX_LENGTH, new_token


class MessageForm(forms.Form):
    text = forms.CharField(
        label="Write a message",
        help_text="We will read it and write back here. Do not put anything in your message "
        "that would put you in danger if someone else read it.",
        max_length=MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "true"}),
        error_messages={
            "required": "Write your message",
            "max_length": f"Your message must be {MAX_LENGTH:,} characters or fewer",
        },
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not self.is_bound:
            self.initial["token"] = new_token()

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write your message")
        return text

    def error_links(self) -> list[tuple[str, str]]:
        return [(f"#{self['text'].auto_id}", message) for message in self.errors.get("text", [])]
