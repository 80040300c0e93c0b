from __future__ import annotations

from datetime import datetime

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils import timezone


class LanternFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class LocalDateTimeField(forms.DateTimeField):
    """A moment typed on a form, read in local time. Django keeps an offset typed with it, and
    Python takes offsets up to 23:59 where PostgreSQL stores only up to 15:59: a crafted post
    would otherwise be a 500 on save instead of the same moment in our zone."""

    def to_python(self, value: object) -> datetime | None:
        moment = super().to_python(value)
        return timezone.localtime(moment) if moment is not None else None
