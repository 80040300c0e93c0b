"""The feeds pages' forms: a file to import (checked first by default), and why a batch is rolled
back. The size limit is feeds.services'; the form only says it."""

from __future__ import annotations

from django import forms
from django.conf import settings

from feeds.models import FeedSource

# What the file chooser offers for each profile format (anything can still be chosen).
ACCEPT = {
    "csv": ".csv,.txt,text/csv",
    "tsv": ".tsv,.txt,text/tab-separated-values",
    "xlsx": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "fixed": ".txt,.dat,text/plain",
    "json": ".json,application/json",
}


class UploadForm(forms.Form):
    file = forms.FileField(label="File")
    dry_run = forms.BooleanField(
        label="Dry run first: check and count every row, write nothing",
        required=False,
        initial=True,
    )

    def __init__(self, *args: object, source: FeedSource, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        file = self.fields["file"]
        file.help_text = f"Up to {settings.FEED_MAX_FILE_MB} MB."
        accept = ACCEPT.get(str(source.profile.get("format", "")))
        if accept:
            file.widget.attrs["accept"] = accept


class RollbackForm(forms.Form):
    reason = forms.CharField(
        label="Why is it rolled back?",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the batch: who rolled it back, when and why.",
    )
