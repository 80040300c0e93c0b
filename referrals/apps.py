from __future__ import annotations

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cases.signals import report_added
        from referrals.receivers import reply_to_the_victim

        report_added.connect(reply_to_the_victim, dispatch_uid="referrals.reply_to_the_victim")
