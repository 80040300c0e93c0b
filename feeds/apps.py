from django.apps import AppConfig


class FeedsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "feeds"
    verbose_name = "Police and partner feeds"

    def ready(self) -> None:
        from cases.signals import report_added
        from feeds.receivers import tell_partners_the_victim_wrote

        report_added.connect(
            tell_partners_the_victim_wrote, dispatch_uid="feeds.tell_partners_the_victim_wrote"
        )
