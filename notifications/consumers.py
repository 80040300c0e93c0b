"""`/ws/alerts/`: "you have a new alert", to the member of staff it is for, on every staff page.

Only a signed-in, active, 2FA-verified member of an active organisation gets in (the checks of
the queue socket, helpline.consumers, minus the work permission: every role gets alerts); the
origin is checked for every socket by project.asgi. The check is repeated on every event and
every WS_RECHECK_SECONDS, and a socket whose session may no longer listen is closed with 4403.

An event carries only the notification's id: the page fetches the toast over HTTP, where the
server checks the alert is the user's own. No message text ever goes down the socket. The socket
is one-way; what the client says is ignored."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.models import User
from notifications.realtime import NotificationEvent, user_group
from notifications.selectors import alert_listener

logger = logging.getLogger(__name__)

FORBIDDEN = 4403  # as the queue socket: "refused: handshake 403 or close code 4403"
TRY_AGAIN = 1011  # RFC 6455 "internal error": the check itself failed, not the user
_jitter = random.Random()  # noqa: S311 - spreads timing only, guards nothing


class StaffAlertsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.revoked = False
        self.recheck_task: asyncio.Task[None] | None = None
        user = await self._current_user()
        if user is None:
            await self.close(code=FORBIDDEN)  # before accept: the handshake is refused
            return
        self.user_id = user.pk
        # Only the user's own group: an alert is for one person, so unlike the queue an event
        # never fans out to many sockets, and each check is one user's (no batching needed).
        self.groups = [user_group(user.pk)]
        await self.channel_layer.group_add(self.groups[0], self.channel_name)
        await self.accept()
        interval = float(getattr(settings, "WS_RECHECK_SECONDS", 60))
        self.recheck_task = asyncio.create_task(self._recheck_every(interval))

    async def disconnect(self, code: int) -> None:
        if self.recheck_task is not None:
            self.recheck_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.recheck_task

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Ignored: nothing a client says changes what it is sent, and a malformed frame must not
        end the consumer."""

    async def lantern_event(self, message: dict[str, Any]) -> None:
        """From notifications.realtime. Only "notification.created", and only its id, is passed
        on: the user's group is the queue socket's too, and whatever else reaches it is not
        this socket's to repeat."""
        event = message.get("event") or {}
        if event.get("type") != "notification.created":
            return
        if await self._still_allowed():
            await self.send_json(
                NotificationEvent(
                    type="notification.created", notification_id=int(event["notification_id"])
                )
            )

    async def _recheck_every(self, interval: float) -> None:
        try:
            while True:
                # Jittered, never longer than the interval: sockets that reconnected together
                # after a deploy do not all hit the database in the same instant.
                await asyncio.sleep(interval * _jitter.uniform(0.5, 1.0))
                if not await self._still_allowed():
                    return
        except Exception:
            # Fail closed but not "forbidden": the client reconnects, and the handshake's own
            # check decides whether it gets back in.
            logger.exception("alerts_socket_recheck_failed")
            await self._revoke(code=TRY_AGAIN)

    async def _still_allowed(self) -> bool:
        """Whether the session still belongs to the same user, still allowed to listen; if not,
        the socket is closed and no further event is sent on it."""
        if self.revoked:
            return False
        user = await self._current_user()
        if user is not None and user.pk == self.user_id:
            return True
        await self._revoke()
        return False

    async def _revoke(self, code: int = FORBIDDEN) -> None:
        if self.revoked:
            return
        self.revoked = True  # from now on no event is sent here; the group goes on disconnect
        await self.close(code=code)

    async def _current_user(self) -> User | None:
        session = self.scope.get("session")
        session_key = session.session_key if session is not None else None
        if not session_key:
            return None
        return await database_sync_to_async(alert_listener)(session_key)
