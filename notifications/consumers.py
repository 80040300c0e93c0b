"""`/ws/alerts/`: "you have a new alert", to the member of staff it is for, on every staff page.

Only a signed-in, active, 2FA-verified member of an active organisation gets in (the checks of
the queue socket, helpline.consumers, minus the work permission: every role gets alerts); the
origin is checked for every socket by project.asgi. The check is repeated on every event and
every WS_RECHECK_SECONDS, and a socket whose session may no longer listen is closed with 4403.

An event carries only the notification's id: the page fetches the toast over HTTP, where the
server checks the alert is the user's own. No message text ever goes down the socket. The socket
is one-way; what the client says is ignored."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from accounts.models import User
from accounts.sockets import StaffSocket
from notifications.realtime import NotificationEvent, user_group
from notifications.selectors import alert_listener


class StaffAlertsConsumer(StaffSocket):
    async def watcher(self, session_key: str) -> User | None:
        return await database_sync_to_async(alert_listener)(session_key)

    def identity(self, watcher: User) -> tuple[Any, ...]:
        return (watcher.pk,)

    async def connect(self) -> None:
        user = await self.admit()
        if user is None:
            return
        # Only the user's own group: an alert is for one person, so unlike the queue an event
        # never fans out to many sockets, and each check is one user's (no batching needed).
        self.groups = [user_group(user.pk)]
        await self.channel_layer.group_add(self.groups[0], self.channel_name)
        await self.accept()
        self.keep_checking()

    async def lantern_event(self, message: dict[str, Any]) -> None:
        """From notifications.realtime. Only "notification.created", and only its id, is passed
        on: the user's group is the queue socket's too, and whatever else reaches it is not
        this socket's to repeat."""
        event = message.get("event") or {}
        if event.get("type") != "notification.created":
            return
        if await self.still_allowed() is not None:
            await self.send_json(
                NotificationEvent(
                    type="notification.created", notification_id=int(event["notification_id"])
                )
            )
