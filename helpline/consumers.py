"""`/ws/helpline/`: the live queue of an operator's or supervisor's own helpline.

Only a signed-in, 2FA-verified member of a helpline with the work permission gets in (SECURITY A6,
AC-08); the check is repeated on every event and every WS_RECHECK_SECONDS, and a socket whose user
may no longer watch is closed with 4403 (AUTH-07, ASVS 8.3.2). The socket is one-way: the client
says nothing, actions go over HTTP. Messages are the CaseSummary fields only, never victim data."""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any

from channels.db import database_sync_to_async

from accounts.models import User
from accounts.sockets import StaffSocket
from helpline.selectors import may_watch_case, queue_snapshot, queue_watchers
from notifications.realtime import helpline_group, user_group

# How long a check waits at most for others to join its read (see _Checks._gather).
GATHER_SECONDS = 0.02


class HelplineConsumer(StaffSocket):
    async def watcher(self, session_key: str) -> User | None:
        return await _checks_for_this_loop().watcher(session_key)

    def identity(self, watcher: User) -> tuple[Any, ...]:
        return (watcher.pk, watcher.organisation_id)

    async def connect(self) -> None:
        user = await self.admit()
        if user is None:
            return
        # Join before reading the snapshot, so no event falls between the two. Events that raced
        # the read arrive after it (a consumer handles one message at a time) and describe the
        # same or a later state, so a client that upserts rows by case number ends up correct.
        self.groups = [helpline_group(user.organisation_id), user_group(user.pk)]
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        cases = await database_sync_to_async(queue_snapshot)(user)
        await self.send_json({"type": "queue.snapshot", "cases": cases})
        self.keep_checking()

    async def lantern_event(self, message: dict[str, Any]) -> None:
        """An event from notifications.realtime, passed on unchanged to a user still allowed it. A
        sealed case's event goes only to those who may read the case (one query, for those only)."""
        watcher = await self.still_allowed()
        if watcher is None:
            return
        case = message["event"].get("case") or {}
        if case.get("sealed") and not await database_sync_to_async(may_watch_case)(
            watcher, case["number"]
        ):
            return
        await self.send_json(message["event"])


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
            await self._gather()
            batch, self.waiting = self.waiting, {}
            try:
                found = await database_sync_to_async(queue_watchers)(list(batch))
            except Exception as exc:
                for futures in batch.values():
                    _settle(futures, error=exc)
            else:
                for key, futures in batch.items():
                    _settle(futures, result=found.get(key))

    async def _gather(self) -> None:
        """Let the other sockets woken by the same event ask before the read: they reach their
        check a few turns of the loop apart, so wait while each turn brings more (GATHER_SECONDS
        at most). Taken after one turn, the read held a handful of checks and each of the next
        reads found a handful more, one after another on the database thread: at 500 sockets,
        dozens of reads per event (bench/alerts.py), instead of one."""
        asked, deadline = -1, time.monotonic() + GATHER_SECONDS
        while asked != (asked := sum(map(len, self.waiting.values()))):
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(0)


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
