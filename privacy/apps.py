from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
    verbose_name = "Data protection"

    def ready(self) -> None:
        from cases import panels
        from privacy import audit_panel, retention_panel, sealing_panel

        for module in (sealing_panel, retention_panel, audit_panel):
            panels.register(module.PANEL)
