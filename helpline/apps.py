from __future__ import annotations

from django.apps import AppConfig


class HelplineConfig(AppConfig):
    name = "helpline"
    default_auto_field = "django.db.models.BigAutoField"
