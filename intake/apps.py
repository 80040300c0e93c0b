from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class IntakeConfig(AppConfig):
    name = "intake"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.models import Organisation
        from intake.services import forget_routes

        # the per-process route cache (intake.services.routed_helpline) follows helpline edits
        post_save.connect(forget_routes, sender=Organisation, dispatch_uid="intake_routes")
        post_delete.connect(forget_routes, sender=Organisation, dispatch_uid="intake_routes_del")
