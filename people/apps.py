from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """One person across cases: their page, contact details with history, references, search."""

    name = "people"
    default_auto_field = "django.db.models.BigAutoField"
