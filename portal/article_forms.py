"""The admin's form for an article's text in a language: shape only. What the body becomes (its
HTML and search words) is made when it is saved (portal.articles.save_text), never typed."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from portal.article_search import LANGUAGE_NAMES
from portal.models import ArticleText

# An ISO 639 code, with a region or script if needed: en, cy, pt-br
LANGUAGE_CODE = RegexValidator(
    r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$", "Use a language code in small letters, like en or cy."
)
MAX_BODY_CHARS = 20_000


class ArticleTextForm(forms.ModelForm):
    class Meta:
        model = ArticleText
        fields = ["language", "title", "summary", "body"]
        help_texts = {
            "language": "A language code: "
            + ", ".join(f"{code} ({name})" for code, name in LANGUAGE_NAMES.items()),
            "summary": "One sentence shown under the title in the library.",
            "body": "Markdown: ## for a heading, - for a list, **bold**, [words](link). "
            "No pictures, and no HTML (it is shown as typed).",
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 20, "cols": 90})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].validators.append(LANGUAGE_CODE)
        self.fields["body"].max_length = MAX_BODY_CHARS

    def clean_language(self) -> str:
        return self.cleaned_data["language"].strip().lower()

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if len(body) > MAX_BODY_CHARS:
            raise forms.ValidationError(f"Keep it under {MAX_BODY_CHARS:,} characters.")
        if "![" in body:
            # Pictures are never shown (portal.articles): say so rather than drop one quietly.
            raise forms.ValidationError(
                "Pictures are not shown in articles. Describe what it shows in words instead."
            )
        return body
