"""What every staff WebSocket shares (SECURITY A6, AC-08, AUTH-07, ASVS 8.3.2): the right to listen
is checked at the handshake (refused with 4403 before accepting), again before anything is sent
and every WS_RECHECK_SECONDS; a socket whose session lost it is closed with 4403 and nothing more
is sent on it. The sockets are one-way: what a client says is ignored.

A socket says who may listen (`watcher`, from the session key) and what must stay the same for it
to go on listening (`identity`): the same user, organisation, group."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import random
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

logger = logging.getLogger(__name__)

FORBIDDEN = 4403  # CONTRACT: "others are refused: handshake 403 or close code 4403"
TRY_AGAIN = 1011  # RFC 6455 "internal error": a check itself failed, not the user
_jitter = random.Random()  # noqa: S311 - spreads timing only, guards nothing


class StaffSocket(AsyncJsonWebsocketConsumer, metaclass=abc.ABCMeta):
    @abc.abstractmethod
    async def watcher(self, session_key: str) -> Any | None:
        """Who listens on this session now (None: nobody may)."""

    @abc.abstractmethod
    def identity(self, watcher: Any) -> tuple[Any, ...]:
        """What must not change while the socket is open (a user, an organisation, a group)."""

    async def admit(self) -> Any | None:
        """At the handshake: the watcher, or None once the socket is refused with 4403."""
        self.revoked = False
        self.tasks: list[asyncio.Task[None]] = []
        watcher = await self._current()
        if watcher is None:
            await self.close(code=FORBIDDEN)  # before accept: the handshake is refused
            return None
        self.admitted = self.identity(watcher)
        return watcher

    def keep_checking(self) -> None:
        """After accepting: re-check every WS_RECHECK_SECONDS, even when nothing is sent."""
        interval = float(getattr(settings, "WS_RECHECK_SECONDS", 60))
        self.tasks.append(asyncio.create_task(self._recheck_every(interval)))

    async def still_allowed(self) -> Any | None:
        """The watcher if it is still the one admitted; if not, the socket is closed and nothing
        more is sent on it."""
        if self.revoked:
            return None
        watcher = await self._current()
        if watcher is not None and self.identity(watcher) == self.admitted:
            return watcher
        await self.revoke()
        return None

    async def revoke(self, code: int = FORBIDDEN) -> None:
        if self.revoked:
            return
        self.revoked = True  # from now on nothing is sent here; the groups go on disconnect
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        for task in getattr(self, "tasks", []):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' own dispatch without its thread hop before every message to close old
        database connections: every read these sockets make goes through database_sync_to_async,
        which closes them itself, before and after. Those hops all queue for the one database
        thread, so an event reaching 500 sockets of a process waited for 500 hops, one after
        another, around its access check (bench/alerts.py: most of the time to the last socket)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Ignored: nothing a client says changes what it is sent, and a malformed frame must not
        end the consumer."""

    async def _recheck_every(self, interval: float) -> None:
        try:
            while True:
                # Jittered, never longer than the interval: sockets that reconnected together
                # after a deploy do not all hit the database in the same instant.
                await asyncio.sleep(interval * _jitter.uniform(0.5, 1.0))
                if await self.still_allowed() is None:
                    return
        except Exception:
            # Fail closed but not "forbidden": the client reconnects, and the handshake's own
            # check decides whether it gets back in.
            logger.exception("socket_recheck_failed", extra={"socket": type(self).__name__})
            await self.revoke(code=TRY_AGAIN)

    async def _current(self) -> Any | None:
        session = self.scope.get("session")
        session_key = session.session_key if session is not None else None
        if not session_key:
            return None
        return await self.watcher(session_key)
