from __future__ import annotations

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles(sender: AppConfig, **kwargs: object) -> None:
    # post_migrate is sent once per app with models, in INSTALLED_APPS order, and each app's
    # permissions are created on its own turn: only on the last turn do all the roles' exist.
    if sender is not [a for a in apps.get_app_configs() if a.models_module is not None][-1]:
        return
    from accounts.services import sync_role_groups

    sync_role_groups()


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_sync_roles, dispatch_uid="accounts.sync_roles")
        from axes.signals import user_locked_out

        from accounts.lockout import log_lockout

        user_locked_out.connect(log_lockout, dispatch_uid="accounts.log_lockout")
