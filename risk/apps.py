from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Risk assessment: an admin-edited questionnaire, its scoring, and each case's assessments."""

    name = "risk"
    default_auto_field = "django.db.models.BigAutoField"
