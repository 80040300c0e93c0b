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
import logging
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from accounts.models import User
from accounts.sockets import TRY_AGAIN, StaffSocket
from dashboards.live import dashboard_watcher, live_figures

logger = logging.getLogger(__name__)

PUSH_INTERVAL = 1.0  # seconds: never more than one push a second on a socket


class DashboardConsumer(StaffSocket):
    async def watcher(self, session_key: str) -> tuple[User, str] | None:
        return await database_sync_to_async(dashboard_watcher)(session_key)

    def identity(self, watcher: tuple[User, str]) -> tuple[Any, ...]:
        user, group = watcher
        return (user.pk, user.organisation_id, group)

    async def connect(self) -> None:
        self.changed = False  # a change arrived that no push has counted yet
        self.last_push = float("-inf")  # loop time of the last push sent
        self.pusher: asyncio.Task[None] | None = None
        watcher = await self.admit()
        if watcher is None:
            return
        user, group = watcher
        # Join before counting, so no change falls between the first figures and the group.
        self.groups = [group]
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self._send_figures(user)
        self.keep_checking()
        refresh = float(getattr(settings, "DASHBOARD_REFRESH_SECONDS", 30))
        self.tasks.append(asyncio.create_task(self._refresh_every(refresh)))

    async def disconnect(self, code: int) -> None:
        if self.pusher is not None:
            self.tasks.append(self.pusher)
        await super().disconnect(code)

    async def lantern_event(self, message: dict[str, Any]) -> None:
        """From notifications.realtime: only "figures.changed" is for dashboards."""
        if (message.get("event") or {}).get("type") == "figures.changed":
            self._figures_changed()

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
                watcher = await self.still_allowed()
                if watcher is None:
                    return
                await self._send_figures(watcher[0])
        except Exception:
            # Fail closed but not "forbidden": the client reconnects and is counted afresh.
            logger.exception("dashboard_socket_push_failed")
            await self.revoke(code=TRY_AGAIN)

    async def _send_figures(self, user: User) -> None:
        figures = await database_sync_to_async(live_figures)(user)
        await self.send_json({"type": "stats", **figures})
        self.last_push = asyncio.get_running_loop().time()

    async def _refresh_every(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self._figures_changed()
