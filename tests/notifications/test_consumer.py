"""The alerts socket (/ws/alerts/): every verified member of staff gets in, hears only "alert N is
yours" for their own alerts (never the words), and is shut out (4403) once their session may no
longer listen. Runs through the whole ASGI application: the origin check, the cookie and session
middleware and the channel layer are the real ones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, User
from notifications.models import Notification
from notifications.realtime import broadcast, user_group
from notifications.services import notify_staff
from project.asgi import application
from tests.sockets import (
    FORBIDDEN,
    LOSING_ACCESS,
    OUR_ORIGIN,
    closed_with,
    log_out_everywhere,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/alerts/"
ALERT_TEXT = "Made-up alert: case LNT-2026-000042 is handed to you"


def communicator(*headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, PATH, headers=list(headers))


async def handshake(*headers: tuple[bytes, bytes]) -> tuple[bool, int | str | None]:
    socket = communicator(*headers)
    outcome = await socket.connect(timeout=5)
    await socket.disconnect()
    return outcome


@database_sync_to_async
def alert_committed(user: User, text: str = ALERT_TEXT) -> Notification:
    """Through the service, in its own committed transaction: delivery runs on commit, as in
    production (Celery eager in tests), and the in-app transport pushes the event."""
    with transaction.atomic():
        (row,) = notify_staff(
            users=[user], kind="case.assigned", case_number="LNT-2026-000042", text=text
        )
    return row


@pytest.fixture
def verified_cookie(otp_client: Callable[[User], Client]) -> Callable[[User], tuple[bytes, bytes]]:
    return lambda user: session_cookie(otp_client(user))


@pytest.fixture
async def operator_socket(
    operator: User, verified_cookie: Callable[[User], tuple[bytes, bytes]]
) -> AsyncIterator[WebsocketCommunicator]:
    cookie = await database_sync_to_async(verified_cookie)(operator)
    socket = communicator(cookie, OUR_ORIGIN)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    yield socket
    await socket.disconnect()


# Who gets in ---------------------------------------------------------------------------------------


@pytest.fixture(params=["operator", "supervisor", "cso_rep", "monitor", "admin_user"])
def staff_member(request: pytest.FixtureRequest) -> User:
    return request.getfixturevalue(request.param)


async def test_every_verified_staff_member_gets_in(staff_member: User, verified_cookie) -> None:  # type: ignore[no-untyped-def]
    cookie = await database_sync_to_async(verified_cookie)(staff_member)

    connected, _ = await handshake(cookie, OUR_ORIGIN)

    assert connected


async def test_no_cookie_is_refused() -> None:
    assert await handshake(OUR_ORIGIN) == (False, FORBIDDEN)


async def test_password_only_session_is_refused(
    operator: User, password_only_client: Callable[[User], Client]
) -> None:
    client = await database_sync_to_async(password_only_client)(operator)

    assert await handshake(session_cookie(client), OUR_ORIGIN) == (False, FORBIDDEN)


async def test_unconfirmed_device_is_refused(operator: User, verified_cookie) -> None:  # type: ignore[no-untyped-def]
    cookie = await database_sync_to_async(verified_cookie)(operator)
    await database_sync_to_async(TOTPDevice.objects.filter(user=operator).update)(confirmed=False)

    assert await handshake(cookie, OUR_ORIGIN) == (False, FORBIDDEN)


async def test_staff_of_an_inactive_organisation_are_refused(
    cso_rep: User, verified_cookie
) -> None:  # type: ignore[no-untyped-def]
    cookie = await database_sync_to_async(verified_cookie)(cso_rep)
    organisation = Organisation.objects.filter(pk=cso_rep.organisation_id)
    await database_sync_to_async(organisation.update)(is_active=False)

    assert await handshake(cookie, OUR_ORIGIN) == (False, FORBIDDEN)


@pytest.mark.parametrize("origin", [b"https://evil.example", b"null", None])
async def test_foreign_or_missing_origin_is_refused(
    origin: bytes | None, operator: User, verified_cookie
) -> None:  # type: ignore[no-untyped-def]
    # given: a verified operator's own cookie, carried by a page from elsewhere (CSWSH)
    cookie = await database_sync_to_async(verified_cookie)(operator)
    headers = [cookie] + ([(b"origin", origin)] if origin else [])

    connected, _ = await handshake(*headers)

    assert not connected


# What is sent ----------------------------------------------------------------------------------


async def test_a_new_alert_is_announced_by_id_only(
    operator_socket: WebsocketCommunicator, operator: User
) -> None:
    # when
    row = await alert_committed(operator)

    # then: the id, nothing else; the words stay on the server
    raw = await operator_socket.receive_from(timeout=5)
    assert raw == f'{{"type": "notification.created", "notification_id": {row.pk}}}'
    assert "LNT-2026-000042" not in raw
    assert await operator_socket.receive_nothing(timeout=0.3)


async def test_someone_elses_alert_is_not_heard(
    operator_socket: WebsocketCommunicator, supervisor: User
) -> None:
    await alert_committed(supervisor)

    assert await operator_socket.receive_nothing(timeout=0.5)


async def test_an_alert_that_rolled_back_is_not_announced(
    operator_socket: WebsocketCommunicator, operator: User
) -> None:
    class AbandonedError(Exception):
        pass

    @database_sync_to_async
    def alert_then_fail() -> None:
        with transaction.atomic():
            notify_staff(users=[operator], kind="case.assigned", case_number="", text=ALERT_TEXT)
            raise AbandonedError

    with pytest.raises(AbandonedError):
        await alert_then_fail()

    assert await operator_socket.receive_nothing(timeout=0.5)


async def test_only_alert_events_pass_and_only_their_id(
    operator_socket: WebsocketCommunicator, operator: User
) -> None:
    # given: other events reach the user's group too (the queue socket listens on it)
    send = database_sync_to_async(broadcast)
    await send([user_group(operator.pk)], {"type": "case.updated", "case": {"number": "X"}})  # type: ignore[arg-type]
    await send(
        [user_group(operator.pk)],
        {"type": "notification.created", "notification_id": 7, "text": ALERT_TEXT},  # type: ignore[arg-type]
    )

    # then
    assert await operator_socket.receive_json_from(timeout=5) == {
        "type": "notification.created",
        "notification_id": 7,
    }
    assert await operator_socket.receive_nothing(timeout=0.3)


async def test_what_the_client_sends_is_ignored(operator_socket: WebsocketCommunicator) -> None:
    await operator_socket.send_to(text_data="not json {")
    await operator_socket.send_to(bytes_data=b"\x00\x01")

    assert await operator_socket.receive_nothing(timeout=0.3)


# Losing the right to listen -------------------------------------------------------------------------


REVOCATIONS = LOSING_ACCESS


@pytest.mark.parametrize("revoke", REVOCATIONS, ids=lambda f: f.__name__)
async def test_socket_closes_within_the_recheck(
    revoke: Callable[[User], None], operator: User, verified_cookie, settings
) -> None:  # type: ignore[no-untyped-def]
    # given: a socket re-checked every 0.2 s
    settings.WS_RECHECK_SECONDS = 0.2
    socket = communicator(await database_sync_to_async(verified_cookie)(operator), OUR_ORIGIN)
    assert (await socket.connect(timeout=5))[0]

    # when
    await database_sync_to_async(revoke)(operator)

    # then
    assert await closed_with(socket) == FORBIDDEN
    await socket.disconnect()


async def test_the_next_alert_is_not_sent_to_a_revoked_user(
    operator_socket: WebsocketCommunicator, operator: User
) -> None:
    # given: the periodic re-check is 60 s off (the default)
    await database_sync_to_async(log_out_everywhere)(operator)

    # when
    await alert_committed(operator)

    # then: the event is checked first, and the socket closes instead
    assert await closed_with(operator_socket) == FORBIDDEN
