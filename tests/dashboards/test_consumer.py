"""The live dashboard socket (/ws/dashboard/): who gets in (AC-08), that the first message is the
figures, that a committed case change pushes them again (debounced: at most one push a second),
that another helpline's change reaches no supervisor but its own, and that losing the right to
watch ends the socket (AUTH-07). Through the whole ASGI application, as tests/helpline's are."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from accounts.models import Organisation, User
from accounts.services import set_role
from cases.models import Case
from cases.services import IncomingReport, move_case, open_case
from dashboards.live import LiveFigures
from project.asgi import application
from tests.factories import StaffFactory
from tests.sockets import (
    FORBIDDEN,
    LOSING_ACCESS,
    OUR_ORIGIN,
    closed_with,
    disable,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/dashboard/"
SENDER = "+447700900654"  # Ofcom's drama range
BODY = "Made-up words that no dashboard may carry."


# Helpers ------------------------------------------------------------------------------------------


def communicator(*headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, PATH, headers=list(headers))


async def handshake(*headers: tuple[bytes, bytes]) -> tuple[bool, int | str | None]:
    socket = communicator(*headers)
    outcome = await socket.connect(timeout=5)
    await socket.disconnect()
    return outcome


async def receive(socket: WebsocketCommunicator, timeout: float = 5) -> dict[str, Any]:
    return await socket.receive_json_from(timeout=timeout)


def sms() -> IncomingReport:
    return IncomingReport(
        channel=Case.Channel.SMS, source_id="SM" + uuid.uuid4().hex, sender=SENDER, body=BODY
    )


@database_sync_to_async
def open_sms_cases(helpline: Organisation, count: int = 1) -> float:
    """Through the service, each in its own committed transaction (on_commit fires as in
    production); returns how long they all took."""
    start = time.monotonic()
    for _ in range(count):
        open_case(helpline=helpline, report=sms())
    return time.monotonic() - start


async def stats_within(socket: WebsocketCommunicator, seconds: float) -> list[tuple[float, dict]]:
    """Every message the socket sends in the next `seconds`, with when it arrived. Polled: a
    receive that times out would cancel the consumer."""
    received = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await socket.receive_nothing(timeout=0.02, interval=0.01):
            continue
        received.append((time.monotonic(), await socket.receive_json_from()))
    return received


# Fixtures -----------------------------------------------------------------------------------------


@pytest.fixture
def verified_cookie(otp_client: Callable[[User], Client]) -> Callable[[User], tuple[bytes, bytes]]:
    return lambda user: session_cookie(otp_client(user))


@pytest.fixture
def south_supervisor(other_helpline: Organisation) -> User:
    return StaffFactory(username="sade", organisation=other_helpline, role=User.Role.SUPERVISOR)


@pytest.fixture
async def connect(  # type: ignore[no-untyped-def]
    verified_cookie,
) -> AsyncIterator[Callable[[User], Any]]:
    """Connects a verified user's socket and reads its first message; all closed at the end."""
    sockets: list[WebsocketCommunicator] = []

    async def open_for(user: User) -> tuple[WebsocketCommunicator, dict[str, Any]]:
        socket = communicator(await database_sync_to_async(verified_cookie)(user), OUR_ORIGIN)
        connected, _ = await socket.connect(timeout=5)
        assert connected
        sockets.append(socket)
        return socket, await receive(socket)

    yield open_for
    for socket in sockets:
        await socket.disconnect()


# Who gets in (AC-08) ------------------------------------------------------------------------------


async def test_no_cookie_is_refused() -> None:
    assert await handshake(OUR_ORIGIN) == (False, FORBIDDEN)


async def test_password_only_session_is_refused(
    monitor: User, password_only_client: Callable[[User], Client]
) -> None:
    client = await database_sync_to_async(password_only_client)(monitor)

    assert await handshake(session_cookie(client), OUR_ORIGIN) == (False, FORBIDDEN)


@pytest.fixture(params=["operator", "cso_rep", "admin_user"])
def verified_without_figures(request: pytest.FixtureRequest) -> User:
    """Staff who pass the second factor but have no dashboard."""
    return request.getfixturevalue(request.param)


async def test_verified_staff_without_figures_are_refused(
    verified_without_figures: User, verified_cookie
) -> None:  # type: ignore[no-untyped-def]
    cookie = await database_sync_to_async(verified_cookie)(verified_without_figures)

    assert await handshake(cookie, OUR_ORIGIN) == (False, FORBIDDEN)


async def test_supervisor_of_an_inactive_helpline_is_refused(
    supervisor: User, verified_cookie
) -> None:  # type: ignore[no-untyped-def]
    cookie = await database_sync_to_async(verified_cookie)(supervisor)
    helpline = Organisation.objects.filter(pk=supervisor.organisation_id)
    await database_sync_to_async(helpline.update)(is_active=False)

    assert await handshake(cookie, OUR_ORIGIN) == (False, FORBIDDEN)


@pytest.mark.parametrize("origin", [b"https://evil.example", None])
async def test_foreign_or_missing_origin_is_refused(
    origin: bytes | None, monitor: User, verified_cookie
) -> None:  # type: ignore[no-untyped-def]
    cookie = await database_sync_to_async(verified_cookie)(monitor)
    headers = [cookie] + ([(b"origin", origin)] if origin else [])

    connected, _ = await handshake(*headers)

    assert not connected


# What is sent -------------------------------------------------------------------------------------


async def test_the_first_message_is_the_figures(
    connect, monitor: User, helpline: Organisation
) -> None:  # type: ignore[no-untyped-def]
    await open_sms_cases(helpline)

    _, first = await connect(monitor)

    assert first["type"] == "stats"
    assert set(first) == set(LiveFigures.__annotations__) | {"type"}
    # a monitor's figures are suppressed as shared figures are: one report is "<5"
    assert (first["reports"]["today"], first["queue"]["length"]) == ("<5", "<5")


async def test_a_committed_change_pushes_the_figures_again(
    connect, monitor: User, supervisor: User, helpline: Organisation
) -> None:  # type: ignore[no-untyped-def]
    # given
    monitor_socket, before = await connect(monitor)
    supervisor_socket, _ = await connect(supervisor)
    assert before["reports"]["today"] == 0

    # when: an SMS opens a case at the supervisor's helpline
    await open_sms_cases(helpline)

    # then: both dashboards hear, counted afresh; nothing about the person who wrote; the
    # helpline's own supervisor sees the exact count, the monitor a suppressed one
    for socket, shown in ((monitor_socket, "<5"), (supervisor_socket, 1)):
        raw = await socket.receive_from(timeout=5)
        assert '"type": "stats"' in raw
        assert SENDER not in raw
        assert BODY not in raw
        pushed = json.loads(raw)
        assert (pushed["reports"]["today"], pushed["queue"]["unclaimed"]) == (shown, shown)


async def test_a_burst_of_changes_is_pushed_at_most_once_a_second(
    connect, monitor: User, helpline: Organisation
) -> None:  # type: ignore[no-untyped-def]
    # given
    socket, _ = await connect(monitor)

    # when: 20 cases open, each committed on its own, within a second
    took = await open_sms_cases(helpline, 20)
    assert took < 1.0, f"the burst took {took:.2f} s: not a burst on this machine"
    pushes = await stats_within(socket, 2.5)

    # then: one or two pushes (the second coalescing whatever the first missed), a second apart,
    # the last counting all 20
    assert 1 <= len(pushes) <= 2, [m["queue"] for _, m in pushes]
    assert all(message["type"] == "stats" for _, message in pushes)
    assert pushes[-1][1]["queue"]["length"] == 20
    if len(pushes) == 2:
        assert pushes[1][0] - pushes[0][0] >= 0.9


async def test_a_change_after_a_quiet_second_is_pushed_at_once_and_the_next_ones_wait(
    connect, monitor: User, helpline: Organisation
) -> None:  # type: ignore[no-untyped-def]
    # given: a dashboard that has had nothing to push for over a second
    socket, _ = await connect(monitor)
    await asyncio.sleep(1.2)

    # when: one change, then five more straight after its push
    changed = time.monotonic()
    await open_sms_cases(helpline)
    first = await receive(socket)
    first_at = time.monotonic()
    await open_sms_cases(helpline, 5)
    later = await stats_within(socket, 2.0)

    # then: the first is pushed at once; the five wait for the second to pass, as one push
    assert first_at - changed < 0.9
    assert first["queue"]["length"] == "<5"  # one, suppressed for a monitor
    assert len(later) == 1
    assert later[0][0] - first_at >= 0.9
    assert later[0][1]["queue"]["length"] == 6


async def test_another_helplines_supervisor_hears_nothing(
    connect, supervisor: User, south_supervisor: User, helpline: Organisation
) -> None:  # type: ignore[no-untyped-def]
    # given
    north, _ = await connect(supervisor)
    south, _ = await connect(south_supervisor)

    # when: a case opens and is claimed at North
    await open_sms_cases(helpline)
    case = await database_sync_to_async(Case.objects.get)()
    await database_sync_to_async(move_case)(
        case=case, to=Case.Status.IN_TRIAGE, actor=supervisor, reason="Claimed"
    )

    # then: North's supervisor is pushed the figures, South's nothing at all
    assert (await receive(north))["reports"]["today"] == 1
    assert await south.receive_nothing(timeout=1.5)


async def test_nothing_is_pushed_for_a_rolled_back_change(
    connect, monitor: User, helpline: Organisation
) -> None:  # type: ignore[no-untyped-def]
    socket, _ = await connect(monitor)

    class AbandonedError(Exception):
        pass

    @database_sync_to_async
    def open_then_fail() -> None:
        with transaction.atomic():
            open_case(helpline=helpline, report=sms())
            raise AbandonedError

    with pytest.raises(AbandonedError):
        await open_then_fail()

    assert await socket.receive_nothing(timeout=1.5)


async def test_figures_are_pushed_again_as_time_passes(connect, monitor: User, settings) -> None:  # type: ignore[no-untyped-def]
    # Waiting times, SLA breaches and "the last hour" change with no event at all.
    settings.DASHBOARD_REFRESH_SECONDS = 0.3
    socket, first = await connect(monitor)

    again = await receive(socket, timeout=3)

    assert again["type"] == "stats"
    assert again["generated_at"] > first["generated_at"]


async def test_what_the_client_sends_is_ignored(connect, monitor: User) -> None:  # type: ignore[no-untyped-def]
    socket, _ = await connect(monitor)

    await socket.send_to(text_data="not json {")
    await socket.send_to(bytes_data=b"\x00\x01")

    assert await socket.receive_nothing(timeout=0.5)


# Losing the right to watch (AUTH-07) --------------------------------------------------------------


def make_operator(user: User) -> None:
    """A role in the same helpline without figures."""
    set_role(user=user, role=User.Role.OPERATOR)


def move_to_another_helpline(user: User) -> None:
    User.objects.filter(pk=user.pk).update(organisation=StaffFactory().organisation)


REVOCATIONS = [*LOSING_ACCESS, make_operator, move_to_another_helpline]


@pytest.mark.parametrize("revoke", REVOCATIONS, ids=lambda f: f.__name__)
async def test_socket_closes_within_the_recheck(
    revoke: Callable[[User], None], connect, supervisor: User, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.WS_RECHECK_SECONDS = 0.2
    socket, _ = await connect(supervisor)

    await database_sync_to_async(revoke)(supervisor)

    assert await closed_with(socket) == FORBIDDEN


async def test_no_push_reaches_a_revoked_user(
    connect, monitor: User, helpline: Organisation
) -> None:  # type: ignore[no-untyped-def]
    # given: the periodic re-check is 60 s off (the default)
    socket, _ = await connect(monitor)

    # when: the monitor is disabled, then the figures change
    await database_sync_to_async(disable)(monitor)
    await open_sms_cases(helpline)

    # then: the push is checked first, and the socket closes instead
    assert await closed_with(socket) == FORBIDDEN
