"""`/ws/helpline/`: the live queue of an operator's or supervisor's own helpline.

Only a signed-in, 2FA-verified member of a helpline with the work permission gets in (SECURITY A6,
AC-08); the check is repeated on every event and every WS_RECHECK_SECONDS, and a socket whose user
may no longer watch is closed with 4403 (AUTH-07, ASVS 8.3.2). Case events are the CaseSummary
fields only, never victim data. The one thing a client may say is a web chat message
(`{"type": "chat.send", "case", "text", "client_id"}`), taken only from the operator holding that
case's open chat (chat.services re-checks, after this socket's own check); everything else a client
says is ignored. A chat message reaches its operator as an id and is read back here, through a
selector that checks the reader still holds the chat (chat.selectors)."""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from typing import Any

from channels.db import database_sync_to_async

from accounts.models import User
from accounts.sockets import StaffSocket
from chat import selectors as chat_selectors
from chat import services as chat_services
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

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = json.loads(text_data or "")
        except ValueError:
            return
        if isinstance(frame, dict) and frame.get("type") == "chat.send":
            await self._chat_send(frame)

    async def _chat_send(self, frame: dict[str, Any]) -> None:
        watcher = await self.still_allowed()
        if watcher is None:
            return
        case, client_id = str(frame.get("case") or ""), frame.get("client_id")
        answer: dict[str, Any] = {"case": case, "client_id": client_id}
        try:
            message, _ = await database_sync_to_async(chat_services.post_operator_message)(
                actor=watcher, case_number=case, text=frame.get("text"), client_id=client_id
            )
        except chat_services.ChatError as exc:
            await self.send_json({"type": "chat.refused", **answer, "message": str(exc)})
            return
        sent = chat_selectors.as_out(message)
        await self.send_json({"type": "chat.sent", **answer, "message": sent})

    async def lantern_event(self, message: dict[str, Any]) -> None:
        """An event from notifications.realtime, passed on unchanged to a user still allowed it. A
        sealed case's event goes only to those who may read the case (one query, for those only).
        A chat message is read back for this user, and sent only if they still hold its chat."""
        watcher = await self.still_allowed()
        if watcher is None:
            return
        if message["event"].get("type") == "chat.message":
            found = await database_sync_to_async(chat_selectors.message_for_operator)(
                watcher, message["event"]["message_id"]
            )
            if found is not None:
                number, out = found
                await self.send_json({"type": "chat.message", "case": number, "message": out})
            return
        case = message["event"].get("case") or {}
        if (
            isinstance(case, dict)
            and case.get("sealed")
            and not await database_sync_to_async(may_watch_case)(watcher, case["number"])
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
