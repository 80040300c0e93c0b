"""The web chat's cast: a visitor's socket, an available operator's console socket, and the
helpline every chat goes to (the deployment's default helpline, as for the public form)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client

from accounts.models import Organisation, User
from live.presence import set_state
from project.asgi import application
from tests.sockets import OUR_ORIGIN, session_cookie

VISITOR_PATH = "/ws/chat/"
CONSOLE_PATH = "/ws/helpline/"
FIRST_WORDS = "Made-up chat words: he took my phone, can someone talk to me?"


@pytest.fixture(autouse=True)
def _chat_routes_to_north(settings, helpline: Organisation) -> None:  # type: ignore[no-untyped-def]
    settings.INTAKE_DEFAULT_HELPLINE = helpline.slug
    cache.clear()  # rate-limit counts from an earlier test


def new_secret() -> str:
    return secrets.token_hex(32)


def new_client_id() -> str:
    return secrets.token_hex(16)


async def visitor(*, origin: tuple[bytes, bytes] = OUR_ORIGIN, address: str = "198.51.100.7"):  # type: ignore[no-untyped-def]
    socket = WebsocketCommunicator(application, VISITOR_PATH, headers=[origin])
    socket.scope["client"] = [address, 50000]
    connected, _ = await socket.connect(timeout=5)
    assert connected
    return socket


async def start(socket: WebsocketCommunicator, secret: str, text: str = FIRST_WORDS,
                client_id: str | None = None) -> dict[str, Any]:  # fmt: skip
    await socket.send_json_to(
        {
            "type": "chat.start",
            "secret": secret,
            "text": text,
            "client_id": client_id or new_client_id(),
        }
    )
    return await socket.receive_json_from(timeout=5)


async def next_of(socket: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    """The next frame of this type (queue events the console also hears are passed over)."""
    while True:
        frame = await socket.receive_json_from(timeout=5)
        if frame["type"] == kind:
            return frame


@pytest.fixture
def console(otp_client: Callable[[User], Client]):  # type: ignore[no-untyped-def]
    """Opens a verified member of staff's /ws/helpline/ socket, its snapshot read."""
    opened: list[WebsocketCommunicator] = []

    async def open_for(user: User) -> WebsocketCommunicator:
        client = await database_sync_to_async(otp_client)(user)
        socket = WebsocketCommunicator(
            application, CONSOLE_PATH, headers=[session_cookie(client), OUR_ORIGIN]
        )
        connected, _ = await socket.connect(timeout=5)
        assert connected
        assert (await socket.receive_json_from(timeout=5))["type"] == "queue.snapshot"
        opened.append(socket)
        return socket

    return open_for


@database_sync_to_async
def make_available(user: User) -> None:
    User.objects.filter(pk=user.pk).update(on_duty=True)
    user.on_duty = True
    set_state(user=user, state="available")


@pytest.fixture
async def available_operator(operator: User) -> User:
    await make_available(operator)
    return operator
