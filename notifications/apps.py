from __future__ import annotations

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate, post_save


def _seed_periodic_tasks(sender: AppConfig, **kwargs: object) -> None:
    # post_migrate is sent once per app with models, in INSTALLED_APPS order: only on the last
    # turn are django_celery_beat's tables certain to be there.
    if sender is not [a for a in apps.get_app_configs() if a.models_module is not None][-1]:
        return
    from project.schedules import ensure_periodic_tasks

    ensure_periodic_tasks()


def _mark_templates(sender: type, **kwargs: object) -> None:
    # A new or renamed organisation may now be named by a template saved before it existed.
    from notifications.services import mark_templates

    mark_templates()


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_seed_periodic_tasks, dispatch_uid="notifications.seed_periodic_tasks")
        post_save.connect(
            _mark_templates,
            sender="accounts.Organisation",
            dispatch_uid="notifications.mark_templates",
        )
