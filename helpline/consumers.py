"""`/ws/helpline/`: the live queue of an operator's or supervisor's own helpline.

Only a signed-in, 2FA-verified member of a helpline with the work permission gets in (SECURITY A6,
AC-08); the check is repeated on every event and every WS_RECHECK_SECONDS, and a socket whose user
may no longer watch is closed with 4403 (AUTH-07, ASVS 8.3.2). The socket is one-way: the client
says nothing, actions go over HTTP. Messages are the CaseSummary fields only, never victim data."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import weakref
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.models import User
from helpline.selectors import queue_snapshot, queue_watchers
from notifications.realtime import helpline_group, user_group

logger = logging.getLogger(__name__)

FORBIDDEN = 4403  # CONTRACT: "others are refused: handshake 403 or close code 4403"
TRY_AGAIN = 1011  # RFC 6455 "internal error": the check itself failed, not the user
_jitter = random.Random()  # noqa: S311 - spreads timing only, guards nothing


class HelplineConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.revoked = False
        self.recheck_task: asyncio.Task[None] | None = None
        user = await self._current_user()
        if user is None:
            await self.close(code=FORBIDDEN)  # before accept: the handshake is refused
            return
        self.user_id, self.organisation_id = user.pk, user.organisation_id
        # Join before reading the snapshot, so no event falls between the two. Events that raced
        # the read arrive after it (a consumer handles one message at a time) and describe the
        # same or a later state, so a client that upserts rows by case number ends up correct.
        self.groups = [helpline_group(user.organisation_id), user_group(user.pk)]
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        cases = await database_sync_to_async(queue_snapshot)(user)
        await self.send_json({"type": "queue.snapshot", "cases": cases})
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
        """An event from notifications.realtime, passed on unchanged to a user still allowed it."""
        if await self._still_allowed():
            await self.send_json(message["event"])

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
            logger.exception("helpline_socket_recheck_failed")
            await self._revoke(code=TRY_AGAIN)

    async def _still_allowed(self) -> bool:
        """Whether the session still belongs to the same user, allowed to watch the same helpline;
        if not, the socket is closed and no further event is sent on it."""
        if self.revoked:
            return False
        user = await self._current_user()
        if (
            user is not None
            and user.pk == self.user_id
            and user.organisation_id == self.organisation_id
        ):
            return True
        await self._revoke()
        return False

    async def _revoke(self, code: int = FORBIDDEN) -> None:
        if self.revoked:
            return
        self.revoked = True  # from now on no event is sent here; the groups go on disconnect
        await self.close(code=code)

    async def _current_user(self) -> User | None:
        session = self.scope.get("session")
        session_key = session.session_key if session is not None else None
        if not session_key:
            return None
        return await _checks_for_this_loop().watcher(session_key)


class _Checks:
    """Answers the access checks of all this process's sockets together. An event reaches every
    socket of a helpline at once and each must be checked before it is sent: one by one, that is
    several queries per socket on the one database thread, and the last socket waits for all the
    others. Checks asked for while a read runs wait for the next read, so every verdict comes from
    a read that started after the check was asked for."""

    def __init__(self) -> None:
        self.waiting: dict[str, list[asyncio.Future[User | None]]] = {}
        self.runner: asyncio.Task[None] | None = None

    async def watcher(self, session_key: str) -> User | None:
        future: asyncio.Future[User | None] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(session_key, []).append(future)
        if self.runner is None or self.runner.done():
            self.runner = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        while self.waiting:
            await asyncio.sleep(0)  # let the other sockets woken by the same event join this read
            batch, self.waiting = self.waiting, {}
            try:
                found = await database_sync_to_async(queue_watchers)(list(batch))
            except Exception as exc:
                for futures in batch.values():
                    _settle(futures, error=exc)
            else:
                for key, futures in batch.items():
                    _settle(futures, result=found.get(key))


def _settle(
    futures: list[asyncio.Future[User | None]],
    *,
    result: User | None = None,
    error: Exception | None = None,
) -> None:
    for future in futures:
        if future.done():  # its socket went away while it waited
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


# One per event loop: a loop is a process's server (daphne has one), or one test's.
_checks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Checks] = weakref.WeakKeyDictionary()


def _checks_for_this_loop() -> _Checks:
    loop = asyncio.get_running_loop()
    if loop not in _checks:
        _checks[loop] = _Checks()
    return _checks[loop]
