from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class LanternFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
