"""`/ws/feeds/imports/<id>/`: where one import has got to, for its page's progress bar.

Only a signed-in, active, 2FA-verified member of staff who may manage the batch's source gets in
(feeds.policy; the one who started it, or another supervisor of its helpline, while they still
may), as every staff socket checks (accounts.sockets): at the handshake, before each push and every
WS_RECHECK_SECONDS; a socket whose session may no longer read the batch is closed with 4403. The
origin is checked for every socket by project.asgi.

On joining, the socket is sent where the batch is now (the page may have been rendered a chunk
earlier); after that, each event of feeds.progress: counts and a status, never a row. The socket
is one-way; what the client says is ignored."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from accounts.models import User
from accounts.sessions import verified_users
from accounts.sockets import StaffSocket
from feeds.models import ImportBatch
from feeds.policy import visible_batches
from feeds.progress import ImportProgress, import_group, progress_event


def batch_reader(session_key: str, batch_id: int) -> User | None:
    """The user of this session, if they may read the batch now. Read afresh on every call."""
    user = verified_users([session_key]).get(session_key)
    if user is None or not visible_batches(user).filter(pk=batch_id).exists():
        return None
    return user


def current_progress(batch_id: int) -> ImportProgress | None:
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    return progress_event(batch) if batch is not None else None


class ImportProgressConsumer(StaffSocket):
    @property
    def batch_id(self) -> int:
        return int(self.scope["url_route"]["kwargs"]["batch_id"])

    async def watcher(self, session_key: str) -> User | None:
        return await database_sync_to_async(batch_reader)(session_key, self.batch_id)

    def identity(self, watcher: User) -> tuple[Any, ...]:
        return (watcher.pk, self.batch_id)

    async def connect(self) -> None:
        if await self.admit() is None:
            return
        # Join before reading where the batch is, so no chunk's event falls between the two; one
        # that raced the read arrives after it and is as new or newer.
        self.groups = [import_group(self.batch_id)]
        await self.channel_layer.group_add(self.groups[0], self.channel_name)
        await self.accept()
        now = await database_sync_to_async(current_progress)(self.batch_id)
        if now is not None:
            await self.send_json(now)
        self.keep_checking()

    async def lantern_event(self, message: dict[str, Any]) -> None:
        """From feeds.progress (through notifications.realtime): only this batch's progress."""
        event = message.get("event") or {}
        if event.get("type") != "import.progress" or event.get("id") != self.batch_id:
            return
        if await self.still_allowed() is not None:
            await self.send_json(event)
