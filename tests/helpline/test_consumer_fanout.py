"""One event reaching many queue sockets of a process (bench/alerts.py): what it costs must not
grow with the number of sockets. Each hop to the database thread is one after another (they share
that thread), so the sockets together make one access check, and no hop of their own. On both
configurations: the in-memory layer with SQLite, and channels_redis with PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import SyncToAsync
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import User
from helpline.consumers import _checks_for_this_loop
from project.asgi import application
from tests.factories import StaffFactory
from tests.helpline.test_consumer import PATH, open_sms_case, receive
from tests.sockets import OUR_ORIGIN, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

SOCKETS = 8


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function run on the database thread from now on, in order."""
    called: list[str] = []
    original = SyncToAsync.__call__

    async def counted(self: SyncToAsync, *args: Any, **kwargs: Any) -> Any:
        called.append(getattr(self.func, "__name__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    return called


async def test_an_event_to_many_sockets_costs_one_check_and_no_hop_per_socket(
    operator: User, otp_client: Callable[[User], Client], hops: list[str]
) -> None:
    # given: eight operators of the helpline, each on their own verified session and socket
    def signed_in() -> list[tuple[bytes, bytes]]:
        colleagues = [operator] + [
            StaffFactory(role=User.Role.OPERATOR, organisation=operator.organisation)
            for _ in range(SOCKETS - 1)
        ]
        return [session_cookie(otp_client(user)) for user in colleagues]

    cookies = await SyncToAsync(signed_in)()
    sockets = [WebsocketCommunicator(application, PATH, headers=[c, OUR_ORIGIN]) for c in cookies]
    for socket in sockets:
        assert (await socket.connect(timeout=5))[0]
        assert (await receive(socket))["type"] == "queue.snapshot"
    hops.clear()

    # when: a case is opened
    case = await open_sms_case(operator.organisation)
    heard = await asyncio.gather(*(receive(socket) for socket in sockets))

    # then: every socket hears of it, after access checks made for all of them together (the
    # socket that popped the event from Redis may run a turn ahead: one read, at most two)
    assert [event["case"]["number"] for event in heard] == [case.number] * SOCKETS
    assert hops[0] == "open_sms_case"
    assert set(hops[1:]) == {"queue_watchers"}, hops  # nothing of each socket's own
    assert len(hops[1:]) <= 2, hops
    for socket in sockets:
        await socket.disconnect()


async def test_checks_asked_for_together_share_one_read(
    operator: User, otp_client: Callable[[User], Client], hops: list[str]
) -> None:
    # given: sockets woken by one event ask for their checks a few turns of the loop apart
    key = session_cookie(await SyncToAsync(otp_client)(operator))[1].decode().split("=", 1)[1]
    checks = _checks_for_this_loop()
    hops.clear()

    async def ask_after(turns: int) -> User | None:
        for _ in range(turns):
            await asyncio.sleep(0)
        return await checks.watcher(key)

    # when
    verdicts = await asyncio.gather(*(ask_after(turns) for turns in range(SOCKETS)))

    # then: one read answered them all
    assert [user.pk if user else None for user in verdicts] == [operator.pk] * SOCKETS
    assert hops == ["queue_watchers"]
