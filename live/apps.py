from django.apps import AppConfig


class LiveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "live"
    verbose_name = "Live calls and operator states"

    def ready(self) -> None:
        from cases import panels
        from live import panels as live_panels
        from live import signals  # noqa: F401  (connects its receivers)

        panels.register(live_panels.PANEL)  # the case page's Calls panel and Call back button
