"""`/ws/chat/`: the visitor's socket. Anonymous; the origin is checked before it opens
(project.asgi: PublicOriginOnly). It hears only its own conversation: it joins that one group,
and every message it is told of is read back through a selector filtered to that conversation.

Frames from the page (JSON):
  {"type": "chat.start", "secret", "text", "client_id"}   first message; opens the case
  {"type": "chat.resume", "secret"}                       after a dropped socket
  {"type": "chat.send", "text", "client_id"}              a message; a resend is stored once
  {"type": "chat.leave"}                                  the visitor leaves (or quick exit)
Frames to the page: chat.started, chat.resumed, chat.sent, chat.message, chat.joined,
chat.closed, chat.error (words to show). A wrong secret closes the socket with 4403."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from chat import events, limits, selectors, services

logger = logging.getLogger(__name__)

FORBIDDEN = 4403


class VisitorChatConsumer(AsyncJsonWebsocketConsumer):
    conversation_id: int | None = None
    keepalive: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        if not settings.CHAT_ENABLED:
            await self.close(code=FORBIDDEN)
            return
        self.client = limits.socket_client_key(self.scope)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        # A dropped socket is not a goodbye: the page may come back with its secret. Leaving is
        # said in words (chat.leave, sent by the page as it goes, quick exit included); a page
        # that never comes back is closed by the idle job.
        if self.keepalive is not None:
            self.keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.keepalive
        if self.conversation_id is not None:
            await self.channel_layer.group_discard(
                events.visitor_group(self.conversation_id), self.channel_name
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """A malformed frame is answered, never the end of the socket."""
        try:
            frame = json.loads(text_data or "")
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await self._error("That message could not be read.")
            return
        handler = {
            "chat.start": self._start,
            "chat.resume": self._resume,
            "chat.send": self._send,
            "chat.leave": self._leave,
        }.get(frame.get("type"))
        if handler is None:
            await self._error("That message could not be read.")
            return
        try:
            await handler(frame)
        except services.ChatError as exc:
            await self._error(str(exc), client_id=frame.get("client_id"))

    async def _start(self, frame: dict[str, Any]) -> None:
        if self.conversation_id is not None:
            await self._send(frame)
            return
        conversation, message = await database_sync_to_async(services.start_chat)(
            secret=frame.get("secret"),
            text=frame.get("text"),
            client_id=frame.get("client_id"),
            client=self.client,
        )
        await self._join(conversation.pk)
        out = selectors.as_out(message)  # its own message, just stored: no second read
        await self.send_json(
            {"type": "chat.started", "status": conversation.status, "message": out}
        )

    async def _resume(self, frame: dict[str, Any]) -> None:
        conversation = await database_sync_to_async(selectors.conversation_for_secret)(
            frame.get("secret")
        )
        if conversation is None or (
            self.conversation_id is not None and conversation.pk != self.conversation_id
        ):
            logger.info("chat_resume_refused")
            await self.close(code=FORBIDDEN)
            return
        await self._join(conversation.pk)
        await database_sync_to_async(services.touch)(conversation_id=conversation.pk)
        transcript = await database_sync_to_async(selectors.visitor_transcript)(conversation.pk)
        await self.send_json(
            {"type": "chat.resumed", "status": conversation.status, "messages": transcript}
        )

    async def _send(self, frame: dict[str, Any]) -> None:
        if self.conversation_id is None:
            await self._error("Start the chat first.", client_id=frame.get("client_id"))
            return
        message, _ = await database_sync_to_async(services.post_visitor_message)(
            conversation_id=self.conversation_id,
            text=frame.get("text"),
            client_id=frame.get("client_id"),
        )
        await self.send_json({"type": "chat.sent", "message": selectors.as_out(message)})

    async def _leave(self, frame: dict[str, Any]) -> None:
        if self.conversation_id is not None:
            await database_sync_to_async(services.leave_chat)(conversation_id=self.conversation_id)
        await self.send_json({"type": "chat.closed", "by": "visitor"})
        await self.close()

    async def _join(self, conversation_id: int) -> None:
        self.conversation_id = conversation_id
        await self.channel_layer.group_add(events.visitor_group(conversation_id), self.channel_name)
        if self.keepalive is None:
            self.keepalive = asyncio.create_task(self._keep_alive())

    async def _keep_alive(self) -> None:
        """While the page is open the chat is not idle, even if nobody writes."""
        interval = settings.CHAT_IDLE_MINUTES * 60 / 4
        while True:
            await asyncio.sleep(interval)
            if self.conversation_id is not None:
                await database_sync_to_async(services.touch)(conversation_id=self.conversation_id)

    async def _error(self, words: str, *, client_id: object = None) -> None:
        frame: dict[str, Any] = {"type": "chat.error", "message": words}
        if isinstance(client_id, str):
            frame["client_id"] = client_id
        await self.send_json(frame)

    async def lantern_event(self, message: dict[str, Any]) -> None:
        """An event of this conversation's group; messages are read back, this one's only."""
        event = message["event"]
        if self.conversation_id is None:
            return
        if event["type"] == "chat.message":
            out = await database_sync_to_async(selectors.message_for_visitor)(
                self.conversation_id, event["message_id"]
            )
            if out is not None:
                await self.send_json({"type": "chat.message", "message": out})
        elif event["type"] == "chat.joined":
            await self.send_json({"type": "chat.joined"})
        elif event["type"] == "chat.closed":
            await self.send_json({"type": "chat.closed", "by": event["by"]})
