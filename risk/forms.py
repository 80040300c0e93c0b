"""The questionnaire as a form: a yes / no / don't know choice per active question (named by its
id, nothing personal in a field name), professional judgement with its reason, and notes. Shape
only: whether every question is answered, and the score, are the service's."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

from django import forms

from risk.models import Answer, Question


def field_name(question: Question) -> str:
    return f"q{question.pk}"


class AssessmentForm(forms.Form):
    professional_judgement = forms.BooleanField(
        label="In my professional judgement this is high risk, whatever the score",
        required=False,
    )
    judgement_reason = forms.CharField(
        label="Why (needed if you use professional judgement)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notes = forms.CharField(
        label="Notes (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the victim said that matters, in their words where it helps.",
    )

    def __init__(self, data: Any = None, *, questions: Sequence[Question]) -> None:
        super().__init__(data, label_suffix="")
        self.questions = list(questions)
        for question in self.questions:
            self.fields[field_name(question)] = forms.ChoiceField(
                label=question.text,
                help_text=question.help_text,
                choices=Answer.choices,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={"required": "Answer this question (don't know is an answer)."},
            )
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary, in page order: a question by its words,
        linked to its first choice (the GOV.UK error summary pattern)."""
        links = []
        for name, field in self.fields.items():
            radio = isinstance(field.widget, forms.RadioSelect)
            anchor = f"#{self[name].auto_id}_0" if radio else f"#{self[name].auto_id}"
            for message in self.errors.get(name, []):
                links.append((anchor, f"{field.label} {message}" if radio else message))
        return links

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The question fields grouped under their section headings, in order."""
        return [
            (section, [self[field_name(q)] for q in group])
            for section, group in groupby(self.questions, key=lambda q: q.section)
        ]

    def answers(self) -> dict[str, str]:
        return {str(q.pk): self.cleaned_data[field_name(q)] for q in self.questions}
