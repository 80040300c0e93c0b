"""`/ws/dashboard/`: the live figures of a monitor (every helpline) or a supervisor (their own).

Only a signed-in, active, 2FA-verified member of an active organisation who may see figures gets in
(the checks of the queue socket, helpline.consumers, with cases.view_figures for the work
permission); the origin is checked for every socket by project.asgi. The check is repeated before
every push and every WS_RECHECK_SECONDS, and a socket whose session may no longer watch is closed
with 4403 (AUTH-07).

Case events reach the socket as a bare "figures changed" (notifications.realtime). The figures are
counted afresh for the user, through the access policy, at most once a second however many changes
arrive: the first change after a quiet second is pushed at once, the ones that follow within the
second are coalesced into one push a second after the last. Figures also drift with time alone
(waiting times, SLA breaches, the last hour), so they are pushed every DASHBOARD_REFRESH_SECONDS
too. The socket is one-way; what the client says is ignored."""

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
from dashboards.live import dashboard_watcher, live_figures

logger = logging.getLogger(__name__)

FORBIDDEN = 4403  # as the other sockets: "refused: handshake 403 or close code 4403"
TRY_AGAIN = 1011  # RFC 6455 "internal error": a check or a count failed, not the user
PUSH_INTERVAL = 1.0  # seconds: never more than one push a second on a socket
_jitter = random.Random()  # noqa: S311 - spreads timing only, guards nothing


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.revoked = False
        self.changed = False  # a change arrived that no push has counted yet
        self.last_push = float("-inf")  # loop time of the last push sent
        self.pusher: asyncio.Task[None] | None = None
        self.background: list[asyncio.Task[None]] = []
        watcher = await self._current_watcher()
        if watcher is None:
            await self.close(code=FORBIDDEN)  # before accept: the handshake is refused
            return
        user, group = watcher
        self.user_id, self.organisation_id = user.pk, user.organisation_id
        # Join before counting, so no change falls between the first figures and the group.
        self.groups = [group]
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self._send_figures(user)
        recheck = float(getattr(settings, "WS_RECHECK_SECONDS", 60))
        refresh = float(getattr(settings, "DASHBOARD_REFRESH_SECONDS", 30))
        self.background = [
            asyncio.create_task(self._recheck_every(recheck)),
            asyncio.create_task(self._refresh_every(refresh)),
        ]

    async def disconnect(self, code: int) -> None:
        for task in [*self.background, self.pusher]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Ignored: nothing a client says changes what it is sent, and a malformed frame must not
        end the consumer."""

    async def lantern_event(self, message: dict[str, Any]) -> None:
        """From notifications.realtime: only "figures.changed" is for dashboards."""
        if (message.get("event") or {}).get("type") == "figures.changed":
            self._figures_changed()

    # Debounced pushes -----------------------------------------------------------------------------

    def _figures_changed(self) -> None:
        self.changed = True
        if self.pusher is None or self.pusher.done():
            self.pusher = asyncio.create_task(self._push_while_changed())

    async def _push_while_changed(self) -> None:
        """Push until no change is left uncounted, a second apart at least. A change arriving while
        the figures are being counted may have been missed by that count: it sets `changed` again,
        and one more push follows."""
        loop = asyncio.get_running_loop()
        try:
            while self.changed and not self.revoked:
                wait = self.last_push + PUSH_INTERVAL - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self.changed = False
                user = await self._still_allowed()
                if user is None:
                    return
                await self._send_figures(user)
        except Exception:
            # Fail closed but not "forbidden": the client reconnects and is counted afresh.
            logger.exception("dashboard_socket_push_failed")
            await self._revoke(code=TRY_AGAIN)

    async def _send_figures(self, user: User) -> None:
        figures = await database_sync_to_async(live_figures)(user)
        await self.send_json({"type": "stats", **figures})
        self.last_push = asyncio.get_running_loop().time()

    async def _refresh_every(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self._figures_changed()

    # Access ---------------------------------------------------------------------------------------

    async def _recheck_every(self, interval: float) -> None:
        try:
            while True:
                # Jittered, never longer than the interval: sockets that reconnected together
                # after a deploy do not all hit the database in the same instant.
                await asyncio.sleep(interval * _jitter.uniform(0.5, 1.0))
                if await self._still_allowed() is None:
                    return
        except Exception:
            logger.exception("dashboard_socket_recheck_failed")
            await self._revoke(code=TRY_AGAIN)

    async def _still_allowed(self) -> User | None:
        """The session's user if it is still the same one, allowed the same figures; if not, the
        socket is closed and nothing more is sent on it."""
        if self.revoked:
            return None
        watcher = await self._current_watcher()
        if watcher is not None:
            user, group = watcher
            if (user.pk, user.organisation_id, group) == (
                self.user_id,
                self.organisation_id,
                self.groups[0],
            ):
                return user
        await self._revoke()
        return None

    async def _revoke(self, code: int = FORBIDDEN) -> None:
        if self.revoked:
            return
        self.revoked = True  # from now on nothing is sent here; the group goes on disconnect
        await self.close(code=code)

    async def _current_watcher(self) -> tuple[User, str] | None:
        session = self.scope.get("session")
        session_key = session.session_key if session is not None else None
        if not session_key:
            return None
        return await database_sync_to_async(dashboard_watcher)(session_key)
