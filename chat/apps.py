from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"
    verbose_name = "Web chat"

    def ready(self) -> None:
        from cases import panels
        from chat import panel

        panels.register(panel.PANEL)
