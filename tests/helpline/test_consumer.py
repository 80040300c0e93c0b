"""The live queue socket (/ws/helpline/): who gets in (AC-08), what they are sent, and that losing
the right to watch ends the socket (AUTH-07). Runs through the whole ASGI application, so the
origin check, the cookie and session middleware and the channel layer are the real ones."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.middleware import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY
from accounts.models import Organisation, User
from accounts.services import set_role
from cases.models import Case
from cases.services import IncomingReport, move_case, open_case
from helpline.selectors import may_work_cases
from notifications.realtime import notify_user
from project.asgi import application
from tests.factories import CaseFactory, StaffFactory
from tests.sockets import (
    FORBIDDEN,
    LOSING_ACCESS,
    OUR_ORIGIN,
    closed_with,
    disable,
    log_out_everywhere,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/helpline/"
SUMMARY_FIELDS = {
    "number", "status", "channel", "priority", "created_at", "claimed_by", "team", "sealed"
}  # fmt: skip
SENDER = "+447700900123"  # Ofcom's drama range
BODY = "Made-up test message: please call me after six."


# Helpers ------------------------------------------------------------------------------------------


def communicator(*headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, PATH, headers=list(headers))


async def handshake(*headers: tuple[bytes, bytes]) -> tuple[bool, int | str | None]:
    """Open and at once close a socket: (True, subprotocol) if it was accepted, else (False, the
    close code it was refused with)."""
    socket = communicator(*headers)
    outcome = await socket.connect(timeout=5)
    await socket.disconnect()
    return outcome


async def receive(socket: WebsocketCommunicator) -> dict[str, Any]:
    return await socket.receive_json_from(timeout=5)


def sms() -> IncomingReport:
    return IncomingReport(
        channel=Case.Channel.SMS,
        source_id="SM" + uuid.uuid4().hex,
        sender=SENDER,
        body=BODY,
    )


@database_sync_to_async
def open_sms_case(helpline: Organisation) -> Case:
    """Through the service, in its own committed transaction: on_commit fires as in production."""
    case, _ = open_case(helpline=helpline, report=sms())
    return case


@database_sync_to_async
def claim(case: Case, actor: User) -> Case:
    return move_case(case=case, to=Case.Status.IN_TRIAGE, actor=actor, reason="Claimed")


# Fixtures -----------------------------------------------------------------------------------------


@pytest.fixture
def verified_cookie(otp_client: Callable[[User], Client]) -> Callable[[User], tuple[bytes, bytes]]:
    return lambda user: session_cookie(otp_client(user))


@pytest.fixture
def operator_cookie(operator: User, verified_cookie) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    return verified_cookie(operator)


@pytest.fixture
async def operator_socket(
    operator_cookie: tuple[bytes, bytes],
) -> AsyncIterator[WebsocketCommunicator]:
    """A verified operator's socket, connected, its snapshot already read."""
    socket = communicator(operator_cookie, OUR_ORIGIN)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    assert (await receive(socket))["type"] == "queue.snapshot"
    yield socket
    await socket.disconnect()


# Who gets in (AC-08) ------------------------------------------------------------------------------


async def test_no_cookie_is_refused() -> None:
    connected, code = await handshake(OUR_ORIGIN)

    assert (connected, code) == (False, FORBIDDEN)


async def test_password_only_session_is_refused(
    operator: User, password_only_client: Callable[[User], Client]
) -> None:
    # given: signed in with the password, second factor never passed
    client = await database_sync_to_async(password_only_client)(operator)

    # when
    connected, code = await handshake(session_cookie(client), OUR_ORIGIN)

    # then
    assert (connected, code) == (False, FORBIDDEN)


async def test_session_naming_someone_elses_device_is_refused(
    operator: User, supervisor: User, password_only_client: Callable[[User], Client]
) -> None:
    # given: a session whose verification names a confirmed device, but not the operator's own
    def verified_with_supervisors_device() -> Client:
        client = password_only_client(operator)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=supervisor).persistent_id
        session.save()
        return client

    client = await database_sync_to_async(verified_with_supervisors_device)()

    # when
    connected, code = await handshake(session_cookie(client), OUR_ORIGIN)

    # then
    assert (connected, code) == (False, FORBIDDEN)


async def test_session_naming_an_unconfirmed_device_is_refused(
    operator: User, operator_cookie: tuple[bytes, bytes]
) -> None:
    # given: verified, then the device is unconfirmed (re-enrolment under way)
    await database_sync_to_async(TOTPDevice.objects.filter(user=operator).update)(confirmed=False)

    # when
    connected, code = await handshake(operator_cookie, OUR_ORIGIN)

    # then
    assert (connected, code) == (False, FORBIDDEN)


@pytest.mark.parametrize(
    ("key", "age"),
    [
        (SESSION_LAST_SEEN_KEY, settings.SESSION_IDLE_SECONDS + 5),  # idle too long
        (SESSION_STARTED_KEY, settings.SESSION_COOKIE_AGE + 5),  # signed in too long ago
    ],
)
async def test_session_past_its_limits_is_refused(
    key: str, age: int, operator: User, otp_client: Callable[[User], Client]
) -> None:
    # given: a session the HTTP side would end at its next request (SessionLimitsMiddleware)
    def aged_session() -> Client:
        client = otp_client(operator)
        session = client.session
        session[key] = time.time() - age
        session.save()
        return client

    client = await database_sync_to_async(aged_session)()

    # when
    connected, code = await handshake(session_cookie(client), OUR_ORIGIN)

    # then
    assert (connected, code) == (False, FORBIDDEN)


@pytest.fixture(params=["monitor", "cso_rep", "admin_user"])
def verified_non_operator(request: pytest.FixtureRequest) -> User:
    """Staff who pass the second factor but do not work a helpline's queue."""
    return request.getfixturevalue(request.param)


async def test_verified_staff_without_the_queue_are_refused(
    verified_non_operator: User, verified_cookie
) -> None:  # type: ignore[no-untyped-def]
    cookie = await database_sync_to_async(verified_cookie)(verified_non_operator)

    connected, code = await handshake(cookie, OUR_ORIGIN)

    assert (connected, code) == (False, FORBIDDEN)


async def test_operator_of_an_inactive_helpline_is_refused(
    operator: User, operator_cookie: tuple[bytes, bytes]
) -> None:
    helpline = Organisation.objects.filter(pk=operator.organisation_id)
    await database_sync_to_async(helpline.update)(is_active=False)

    connected, code = await handshake(operator_cookie, OUR_ORIGIN)

    assert (connected, code) == (False, FORBIDDEN)


@pytest.mark.parametrize(
    "origin", [b"https://evil.example", b"http://127.0.0.1.evil.example", b"null", None]
)
async def test_foreign_or_missing_origin_is_refused(
    origin: bytes | None, operator_cookie: tuple[bytes, bytes]
) -> None:
    # given: a verified operator's own cookie, carried by a page from elsewhere (CSWSH)
    headers = [operator_cookie] + ([(b"origin", origin)] if origin else [])

    # when
    connected, _ = await handshake(*headers)

    # then
    assert not connected


async def test_supervisor_gets_in(supervisor: User, verified_cookie) -> None:  # type: ignore[no-untyped-def]
    socket = communicator(await database_sync_to_async(verified_cookie)(supervisor), OUR_ORIGIN)

    connected, _ = await socket.connect(timeout=5)

    assert connected
    assert (await receive(socket))["type"] == "queue.snapshot"
    await socket.disconnect()


# What is sent -------------------------------------------------------------------------------------


async def test_snapshot_is_the_helpline_queue_most_urgent_then_oldest(
    operator: User, other_operator: User, operator_cookie: tuple[bytes, bytes]
) -> None:
    # given
    now = timezone.now()

    @database_sync_to_async
    def made(minutes_ago: int, **fields: Any) -> str:
        fields.setdefault("helpline", operator.organisation)
        return CaseFactory(created_at=now - timedelta(minutes=minutes_ago), **fields).number

    old_standard = await made(30)
    new_standard = await made(5)
    high = await made(1, priority=Case.Priority.HIGH)
    claimed = await made(20, status=Case.Status.IN_TRIAGE, claimed_by=operator)
    await made(40, status=Case.Status.VERIFIED)  # no longer in the queue
    await made(50, helpline=other_operator.organisation)  # another helpline's
    socket = communicator(operator_cookie, OUR_ORIGIN)

    # when
    connected, _ = await socket.connect(timeout=5)
    snapshot = await receive(socket)

    # then
    assert connected
    assert snapshot["type"] == "queue.snapshot"
    assert [c["number"] for c in snapshot["cases"]] == [high, old_standard, claimed, new_standard]
    assert all(set(c) == SUMMARY_FIELDS for c in snapshot["cases"])
    assert snapshot["cases"][2]["claimed_by"] == operator.username
    await socket.disconnect()


async def test_snapshot_holds_at_most_200_cases(
    operator: User, operator_cookie: tuple[bytes, bytes]
) -> None:
    # given
    await database_sync_to_async(CaseFactory.create_batch)(201, helpline=operator.organisation)
    socket = communicator(operator_cookie, OUR_ORIGIN)

    # when
    assert (await socket.connect(timeout=5))[0]
    snapshot = await receive(socket)

    # then
    assert len(snapshot["cases"]) == 200
    await socket.disconnect()


async def test_case_opened_then_claimed_reaches_the_operator(
    operator_socket: WebsocketCommunicator, operator: User
) -> None:
    # when: an SMS opens a case
    case = await open_sms_case(operator.organisation)
    raw = await operator_socket.receive_from(timeout=5)

    # then: its summary, and nothing about the person who wrote
    created = json.loads(raw)
    assert created["type"] == "case.created"
    assert created["case"] == {
        "number": case.number,
        "status": Case.Status.NEW,
        "channel": Case.Channel.SMS,
        "priority": Case.Priority.STANDARD,
        "created_at": case.created_at.isoformat(),
        "claimed_by": None,
        "team": None,
        "sealed": False,
    }
    assert SENDER not in raw
    assert BODY not in raw

    # when: someone claims it
    await claim(case, operator)
    claimed = await receive(operator_socket)

    # then
    assert claimed["type"] == "case.claimed"
    assert claimed["case"]["number"] == case.number
    assert claimed["case"]["status"] == Case.Status.IN_TRIAGE
    assert claimed["case"]["claimed_by"] == operator.username


async def test_another_helpline_hears_nothing(
    other_operator: User, operator: User, verified_cookie
) -> None:  # type: ignore[no-untyped-def]
    # given: the operator of another helpline is connected
    socket = communicator(await database_sync_to_async(verified_cookie)(other_operator), OUR_ORIGIN)
    assert (await socket.connect(timeout=5))[0]
    assert (await receive(socket))["cases"] == []

    # when: a case opens and is claimed at the operator's helpline
    case = await open_sms_case(operator.organisation)
    await claim(case, operator)

    # then
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_nothing_is_sent_for_a_rolled_back_case(
    operator_socket: WebsocketCommunicator, operator: User
) -> None:
    # given
    class AbandonedError(Exception):
        pass

    @database_sync_to_async
    def open_then_fail() -> None:
        with transaction.atomic():
            open_case(helpline=operator.organisation, report=sms())
            raise AbandonedError

    # when
    with pytest.raises(AbandonedError):
        await open_then_fail()

    # then
    assert await operator_socket.receive_nothing(timeout=0.5)
    assert await database_sync_to_async(Case.objects.count)() == 0


async def test_a_notification_for_the_user_is_passed_on(
    operator_socket: WebsocketCommunicator, operator: User, supervisor: User
) -> None:
    # when
    await database_sync_to_async(notify_user)(operator.pk, 42)
    await database_sync_to_async(notify_user)(supervisor.pk, 43)  # someone else's

    # then
    assert await receive(operator_socket) == {"type": "notification.created", "notification_id": 42}
    assert await operator_socket.receive_nothing(timeout=0.3)


async def test_what_the_client_sends_is_ignored(operator_socket: WebsocketCommunicator) -> None:
    await operator_socket.send_to(text_data="not json {")
    await operator_socket.send_to(bytes_data=b"\x00\x01")

    assert await operator_socket.receive_nothing(timeout=0.3)


async def test_a_quiet_socket_still_hears_the_next_case(
    operator_socket: WebsocketCommunicator, operator: User
) -> None:
    if "channels_redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        pytest.skip("only a Redis layer waits in a blocking pop")

    # given: a console with nothing to hear for longer than the layer's blocking pop (5 s)
    await asyncio.sleep(6)

    # when
    case = await open_sms_case(operator.organisation)

    # then
    assert (await receive(operator_socket))["case"]["number"] == case.number


# Losing the right to watch (AUTH-07) --------------------------------------------------------------


def make_administrator(user: User) -> None:
    """A role in the same helpline without the work permission (configuration only)."""
    set_role(user=user, role=User.Role.ADMIN)


def move_to_another_helpline(user: User) -> None:
    User.objects.filter(pk=user.pk).update(organisation=StaffFactory().organisation)


REVOCATIONS = [*LOSING_ACCESS, make_administrator, move_to_another_helpline]


@pytest.mark.parametrize("revoke", REVOCATIONS, ids=lambda f: f.__name__)
async def test_socket_closes_within_the_recheck(
    revoke: Callable[[User], None], operator: User, operator_cookie, settings
) -> None:  # type: ignore[no-untyped-def]
    # given: a socket re-checked every 0.2 s
    settings.WS_RECHECK_SECONDS = 0.2
    socket = communicator(operator_cookie, OUR_ORIGIN)
    assert (await socket.connect(timeout=5))[0]
    await receive(socket)

    # when: nothing happens on the queue, but the user loses the right to watch it
    await database_sync_to_async(revoke)(operator)

    # then
    assert await closed_with(socket) == FORBIDDEN
    await socket.disconnect()


@pytest.mark.parametrize("revoke", [disable, log_out_everywhere], ids=lambda f: f.__name__)
async def test_the_next_event_is_not_sent_to_a_revoked_user(
    revoke: Callable[[User], None],
    operator_socket: WebsocketCommunicator,
    operator: User,
) -> None:
    # given: the periodic re-check is 60 s off (the default)
    # when: the user loses access, then a case opens
    await database_sync_to_async(revoke)(operator)
    await open_sms_case(operator.organisation)

    # then: the event is checked first, and the socket closes instead
    assert await closed_with(operator_socket) == FORBIDDEN


async def test_each_socket_is_judged_on_its_own_session(
    operator_socket: WebsocketCommunicator, operator: User, supervisor: User, verified_cookie
) -> None:  # type: ignore[no-untyped-def]
    # given: two people of the same helpline connected; one is then disabled
    supervisor_socket = communicator(
        await database_sync_to_async(verified_cookie)(supervisor), OUR_ORIGIN
    )
    assert (await supervisor_socket.connect(timeout=5))[0]
    await receive(supervisor_socket)
    await database_sync_to_async(disable)(supervisor)

    # when: one event reaches both sockets (their checks are answered by one read)
    case = await open_sms_case(operator.organisation)

    # then
    assert (await receive(operator_socket))["case"]["number"] == case.number
    assert await closed_with(supervisor_socket) == FORBIDDEN
    await supervisor_socket.disconnect()


# The bulk permission check agrees with Django's own ----------------------------------------------


def test_bulk_permission_check_agrees_with_has_perm(
    operator: User, supervisor: User, monitor: User, cso_rep: User, admin_user: User
) -> None:
    # given: the cast, plus a superuser and someone granted the permission directly
    superuser = StaffFactory(
        organisation=operator.organisation, role=User.Role.ADMIN, is_superuser=True
    )
    direct = StaffFactory(organisation=operator.organisation, role=User.Role.ADMIN)
    direct.user_permissions.add(Permission.objects.get(codename="work_case"))
    cast = [operator, supervisor, monitor, cso_rep, admin_user, superuser, direct]

    # when
    holders = may_work_cases({user.pk for user in cast})

    # then
    expected = {
        user.pk
        for user in User.objects.filter(pk__in=[u.pk for u in cast])
        if user.has_perm("cases.work_case")
    }
    assert holders == expected
    assert {operator.pk, supervisor.pk, direct.pk} <= holders
    assert superuser.pk not in holders  # a superuser works no case without a case role


async def test_a_sealed_cases_events_reach_only_those_who_may_read_it(
    operator_socket: WebsocketCommunicator, operator: User, supervisor: User, verified_cookie
) -> None:  # type: ignore[no-untyped-def]
    # given: a supervisor named on a sealed case watches the queue beside an operator who is not
    from cases.sealing import seal

    case = await open_sms_case(operator.organisation)
    assert (await receive(operator_socket))["case"]["number"] == case.number
    await database_sync_to_async(seal)(
        case=case, named_users=[supervisor], by=supervisor, reason="A colleague is the victim"
    )
    supervisor_socket = communicator(
        await database_sync_to_async(verified_cookie)(supervisor), OUR_ORIGIN
    )
    assert (await supervisor_socket.connect(timeout=5))[0]
    await receive(supervisor_socket)

    # when: the sealed case is claimed, then an ordinary case opens
    await claim(await database_sync_to_async(Case.objects.get)(pk=case.pk), supervisor)
    other = await open_sms_case(operator.organisation)

    # then: the named supervisor hears of both; the operator only of the ordinary one
    claimed = await receive(supervisor_socket)
    assert (claimed["type"], claimed["case"]["number"]) == ("case.claimed", case.number)
    assert (await receive(supervisor_socket))["case"]["number"] == other.number
    heard = await receive(operator_socket)
    assert heard["case"]["number"] == other.number
    assert await operator_socket.receive_nothing(timeout=0.2)
    await supervisor_socket.disconnect()
