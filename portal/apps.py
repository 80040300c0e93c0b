from django.apps import AppConfig


class PortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = "Victim portal and help articles"

    def ready(self) -> None:
        from cases import panels
        from cases.signals import case_event
        from portal import invitations, staff_panel, updates

        # In the transaction of the change: the invitation and the updates' notices are outbox
        # rows that commit or roll back with it.
        case_event.connect(invitations.on_case_event, dispatch_uid="portal.invitations")
        case_event.connect(updates.on_case_event, dispatch_uid="portal.updates")
        panels.register(staff_panel.PANEL)
