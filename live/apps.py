from django.apps import AppConfig


class LiveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "live"
    verbose_name = "Live calls and operator states"

    def ready(self) -> None:
        from live import signals  # noqa: F401  (connects its receivers)
