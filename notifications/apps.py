from __future__ import annotations

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _seed_periodic_tasks(sender: AppConfig, **kwargs: object) -> None:
    # post_migrate is sent once per app with models, in INSTALLED_APPS order: only on the last
    # turn are django_celery_beat's tables certain to be there.
    if sender is not [a for a in apps.get_app_configs() if a.models_module is not None][-1]:
        return
    from project.schedules import ensure_periodic_tasks

    ensure_periodic_tasks()


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_seed_periodic_tasks, dispatch_uid="notifications.seed_periodic_tasks")
