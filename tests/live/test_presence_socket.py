"""Operator states pushed live (issue 17.5): through the whole ASGI application and the channel
layer of the run (in memory embedded, Redis on the real run), a state change reaches the
helpline's sockets as operator.state, never another helpline's; a socket whose user lost the
right to watch hears no more of them (AUTH-07)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from live.presence import choose_state, end_conversation, start_conversation
from project.asgi import application
from tests.factories import CaseFactory
from tests.sockets import FORBIDDEN, OUR_ORIGIN, closed_with, disable, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def open_socket(client: Any) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(
        application, "/ws/helpline/", headers=[session_cookie(client), OUR_ORIGIN]
    )
    connected, _ = await socket.connect(timeout=5)
    assert connected
    assert (await socket.receive_json_from(timeout=5))["type"] == "queue.snapshot"
    return socket


async def next_state(socket: WebsocketCommunicator) -> dict[str, Any]:
    message = await socket.receive_json_from(timeout=5)
    assert message["type"] == "operator.state", message
    return message["operator"]


async def test_a_supervisor_hears_an_operator_go_available_busy_and_wrap_up(
    helpline, operator, supervisor, other_operator, otp_client
) -> None:
    # given the supervisor's console and another helpline's operator's, both live
    watching = await open_socket(await database_sync_to_async(otp_client)(supervisor))
    elsewhere = await open_socket(await database_sync_to_async(otp_client)(other_operator))
    case = await database_sync_to_async(CaseFactory)(helpline=helpline)

    # when the operator goes available, answers a call, then it ends
    await database_sync_to_async(choose_state)(user=operator, state="available")
    available = await next_state(watching)
    await database_sync_to_async(start_conversation)(user=operator, activity="call", case=case)
    busy = await next_state(watching)
    await database_sync_to_async(end_conversation)(user=operator)
    wrap_up = await next_state(watching)

    # then each change, in order, with the operator's id and name only
    assert (available["id"], available["username"], available["state"]) == (
        operator.pk, "amina", "available",
    )  # fmt: skip
    assert (busy["state"], busy["activity"], busy["until"]) == ("busy", "call", None)
    assert (wrap_up["state"], wrap_up["activity"]) == ("wrap_up", "call")
    assert wrap_up["until"] > wrap_up["since"]
    assert set(busy) == {"id", "username", "state", "since", "until", "activity"}  # no case
    # and the other helpline heard nothing
    assert await elsewhere.receive_nothing(timeout=0.5)
    await watching.disconnect()
    await elsewhere.disconnect()


async def test_the_operators_own_console_hears_lantern_change_their_state(
    helpline, operator, otp_client
) -> None:
    # (a call answered on their phone while the console is open in a tab)
    own = await open_socket(await database_sync_to_async(otp_client)(operator))
    case = await database_sync_to_async(CaseFactory)(helpline=helpline)
    await database_sync_to_async(start_conversation)(user=operator, activity="call", case=case)
    assert (await next_state(own))["state"] == "busy"
    await own.disconnect()


async def test_a_disabled_supervisor_hears_no_more_states(
    helpline, operator, supervisor, otp_client
) -> None:
    watching = await open_socket(await database_sync_to_async(otp_client)(supervisor))
    await database_sync_to_async(disable)(supervisor)

    await database_sync_to_async(choose_state)(user=operator, state="available")

    assert await closed_with(watching) == FORBIDDEN


async def test_sign_out_makes_the_operator_away_and_says_so(
    helpline, operator, supervisor, otp_client
) -> None:
    # given an available operator and a supervisor watching
    client = await database_sync_to_async(otp_client)(operator)
    await database_sync_to_async(choose_state)(user=operator, state="available")
    watching = await open_socket(await database_sync_to_async(otp_client)(supervisor))

    # when the operator signs out through the page
    answer = await database_sync_to_async(client.post)("/accounts/logout/")
    assert answer.status_code in (200, 302)

    # then
    assert (await next_state(watching))["state"] == "away"
    await asyncio.sleep(0)
    assert not await database_sync_to_async(
        User.objects.filter(pk=operator.pk, operator_state__state="available").exists
    )()
    await watching.disconnect()
