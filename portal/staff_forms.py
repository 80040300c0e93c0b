"""The forms of the case page's portal panel: shape only (the services decide who may and what the
case allows). Staff-facing words; what the victim reads comes from the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Prefetch, QuerySet

from portal.models import Article, ArticleText, UpdateType

# The case page holds other forms with the same field names (the message form's "text"): ids of
# their own, so no two elements share one and each label finds its box.
AUTO_ID = "portal_%s"
REPLY_MAX = 2000  # portal.messages.MAX_LENGTH: the service says so in words too
REASON_MAX = 500


class PanelForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", AUTO_ID)
        super().__init__(*args, **kwargs)


class RevokeForm(PanelForm):
    reason = forms.CharField(
        label="Why does their access end?",
        help_text="Kept in the case's history. The victim is not told.",
        max_length=REASON_MAX,
        error_messages={
            "required": "Say why the portal access ends.",
            "max_length": f"Write the reason in {REASON_MAX} characters or fewer.",
        },
    )


class ReplyForm(PanelForm):
    text = forms.CharField(
        label="Reply in the portal",
        help_text="The victim reads this when they sign in. Their safe way of contact gets only "
        '"You have a new message", as their safe-contact answers allow.',
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Write the message first.",
            "max_length": f"A portal message is at most {REPLY_MAX:,} characters.",
        },
    )


def staff_update_types() -> QuerySet[UpdateType]:
    return UpdateType.objects.filter(trigger=UpdateType.Trigger.STAFF, is_active=True)


class UpdateForm(PanelForm):
    update_type = forms.ModelChoiceField(
        label="Send an update",
        queryset=UpdateType.objects.none(),
        empty_label="Choose an update",
        error_messages={
            "required": "Choose an update to send.",
            "invalid_choice": "Choose one of the updates staff send.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["update_type"].queryset = staff_update_types()


class ArticleChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Article) -> str:
        texts = {text.language: text.title for text in obj.texts.all()}
        return texts.get("en") or next(iter(texts.values()), obj.slug)


def published_articles() -> QuerySet[Article]:
    english_first = ArticleText.objects.order_by("language").only("article", "language", "title")
    return Article.objects.filter(is_published=True).prefetch_related(
        Prefetch("texts", queryset=english_first)
    )


class ArticleForm(PanelForm):
    article = ArticleChoice(
        label="Send a help article",
        queryset=Article.objects.none(),
        empty_label="Choose an article",
        help_text="A link to the article in the public help library, by their safe way of contact.",
        error_messages={
            "required": "Choose an article to send.",
            "invalid_choice": "Choose an article from the library.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["article"].queryset = published_articles()
