"""The web chat over its two sockets, through the whole ASGI application (origin check, session
middleware, the channel layer of the run: in-memory embedded, Redis on the real run): a visitor on
/ws/chat/ and the operator on the console's /ws/helpline/."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection

from accounts.models import User
from cases.models import Case, Report
from chat import services
from chat.models import ChatMessage, Conversation
from live.models import OperatorState
from project.asgi import application
from tests.chat.conftest import (
    FIRST_WORDS,
    make_available,
    new_client_id,
    new_secret,
    next_of,
    start,
    visitor,
)
from tests.factories import StaffFactory
from tests.sockets import FORBIDDEN, OUR_ORIGIN, closed_with, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

REPLY = "Made-up operator words: I am here, you are safe to talk."
SECOND = "Made-up visitor words: thank you <b>so much</b>"


@database_sync_to_async
def counts() -> tuple[int, int, int]:
    return Case.objects.count(), Conversation.objects.count(), ChatMessage.objects.count()


@database_sync_to_async
def take(user: User) -> Conversation:
    case = Case.objects.get()
    return services.take_chat(case=case, actor=user)


@database_sync_to_async
def the_conversation() -> Conversation:
    return Conversation.objects.select_related("case").get()


async def test_first_message_opens_one_case_and_one_conversation(
    available_operator: User, console
) -> None:
    operator_socket = await console(available_operator)
    socket = await visitor()

    started = await start(socket, new_secret())

    assert started["type"] == "chat.started"
    assert started["status"] == "waiting"
    assert started["message"]["text"] == FIRST_WORDS
    assert await counts() == (1, 1, 1)
    conversation = await the_conversation()
    assert conversation.case.channel == Case.Channel.CHAT
    assert conversation.status == Conversation.Status.WAITING
    report = await database_sync_to_async(Report.objects.get)()
    assert report.body == FIRST_WORDS
    # the case reaches the live queue like every case, and the available operator is offered it
    created = await next_of(operator_socket, "case.created")
    assert created["case"]["number"] == conversation.case.number
    assert created["case"]["channel"] == "chat"
    offered = await next_of(operator_socket, "chat.offered")
    assert offered == {"type": "chat.offered", "case": conversation.case.number}
    await socket.disconnect()
    await operator_socket.disconnect()


async def test_start_sent_again_with_the_same_secret_opens_nothing_more() -> None:
    secret, client_id = new_secret(), new_client_id()
    first = await visitor()
    await start(first, secret, client_id=client_id)
    await first.disconnect()  # the answer was lost with the socket: the page sends it again

    second = await visitor()
    again = await start(second, secret, client_id=client_id)

    assert again["type"] == "chat.started"
    assert await counts() == (1, 1, 1)
    await second.disconnect()


async def test_resume_with_the_secret_gets_the_transcript() -> None:
    secret = new_secret()
    first = await visitor()
    await start(first, secret)
    await first.disconnect()

    second = await visitor()
    await second.send_json_to({"type": "chat.resume", "secret": secret})
    resumed = await second.receive_json_from(timeout=5)

    assert resumed["type"] == "chat.resumed"
    assert [m["text"] for m in resumed["messages"]] == [FIRST_WORDS]
    await second.disconnect()


async def test_wrong_secret_is_refused() -> None:
    first = await visitor()
    await start(first, new_secret())

    stranger = await visitor()
    await stranger.send_json_to({"type": "chat.resume", "secret": new_secret()})

    assert await closed_with(stranger) == FORBIDDEN
    await first.disconnect()


async def test_a_resend_with_the_same_client_id_is_stored_once(available_operator: User) -> None:
    socket = await visitor()
    await start(socket, new_secret())
    client_id = new_client_id()

    for _ in range(2):
        await socket.send_json_to({"type": "chat.send", "text": SECOND, "client_id": client_id})
        sent = await next_of(socket, "chat.sent")
        assert sent["message"]["client_id"] == client_id

    assert await counts() == (1, 1, 2)
    await socket.disconnect()


async def test_operator_and_visitor_talk_both_ways(available_operator: User, console) -> None:
    socket = await visitor()
    await start(socket, new_secret())
    operator_socket = await console(available_operator)
    await take(available_operator)
    assert (await next_of(socket, "chat.joined")) == {"type": "chat.joined"}
    number = (await the_conversation()).case.number

    # the operator writes over the console's socket; the visitor receives it
    client_id = new_client_id()
    await operator_socket.send_json_to(
        {"type": "chat.send", "case": number, "text": REPLY, "client_id": client_id}
    )
    sent = await next_of(operator_socket, "chat.sent")
    assert sent["message"]["text"] == REPLY
    heard = await next_of(socket, "chat.message")
    assert heard["message"]["text"] == REPLY
    assert heard["message"]["sender"] == "operator"

    # the visitor writes; the operator receives it, read back for them
    await socket.send_json_to({"type": "chat.send", "text": SECOND, "client_id": new_client_id()})
    told = await next_of(operator_socket, "chat.message")
    if told["message"]["sender"] == "operator":  # its own, first: every side hears every message
        told = await next_of(operator_socket, "chat.message")
    assert told["case"] == number
    assert told["message"]["text"] == SECOND
    state = await database_sync_to_async(OperatorState.objects.get)(user=available_operator)
    assert (state.state, state.activity) == ("busy", "chat")
    await socket.disconnect()
    await operator_socket.disconnect()


async def test_leaving_closes_the_chat_and_tells_the_operator(
    available_operator: User, console
) -> None:
    socket = await visitor()
    await start(socket, new_secret())
    operator_socket = await console(available_operator)
    await take(available_operator)

    await socket.send_json_to({"type": "chat.leave"})

    assert (await next_of(socket, "chat.closed"))["by"] == "visitor"
    closed = await next_of(operator_socket, "chat.closed")
    conversation = await the_conversation()
    assert closed == {"type": "chat.closed", "case": conversation.case.number, "by": "visitor"}
    assert (conversation.status, conversation.closed_by) == ("closed", "visitor")
    state = await database_sync_to_async(OperatorState.objects.get)(user=available_operator)
    assert state.state == "wrap_up"
    await operator_socket.disconnect()


async def test_another_operator_cannot_write_in_the_chat(
    available_operator: User, helpline, console
) -> None:
    colleague = await database_sync_to_async(StaffFactory)(
        username="femi", organisation=helpline, role=User.Role.OPERATOR
    )
    socket = await visitor()
    await start(socket, new_secret())
    await take(available_operator)
    await next_of(socket, "chat.joined")
    number = (await the_conversation()).case.number
    intruder = await console(colleague)

    await intruder.send_json_to(
        {"type": "chat.send", "case": number, "text": REPLY, "client_id": new_client_id()}
    )

    refused = await next_of(intruder, "chat.refused")
    assert refused["case"] == number
    assert await counts() == (1, 1, 2)  # the first message and "An operator joined"
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()
    await intruder.disconnect()


async def test_a_cso_cannot_reach_the_chat(
    available_operator: User, cso_rep: User, otp_client
) -> None:
    socket = await visitor()
    await start(socket, new_secret())
    await take(available_operator)

    # no console socket for a CSO: refused at the handshake
    client = await database_sync_to_async(otp_client)(cso_rep)
    cso_socket = WebsocketCommunicator(
        application, "/ws/helpline/", headers=[session_cookie(client), OUR_ORIGIN]
    )
    connected, code = await cso_socket.connect(timeout=5)
    assert (connected, code) == (False, FORBIDDEN)
    # and the service refuses them whatever the way in
    number = (await the_conversation()).case.number
    with pytest.raises(services.ChatError):
        await database_sync_to_async(services.post_operator_message)(
            actor=cso_rep, case_number=number, text=REPLY, client_id=""
        )
    await socket.disconnect()


async def test_a_visitor_hears_only_their_own_conversation(available_operator: User) -> None:
    one, two = await visitor(), await visitor(address="198.51.100.8")
    await start(one, new_secret())
    await start(two, new_secret(), text="Made-up words of someone else entirely.")

    await one.send_json_to({"type": "chat.send", "text": SECOND, "client_id": new_client_id()})
    await next_of(one, "chat.sent")

    assert await two.receive_nothing(timeout=0.3)
    await one.disconnect()
    await two.disconnect()


async def test_a_foreign_origin_is_refused() -> None:
    socket = WebsocketCommunicator(
        application, "/ws/chat/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await socket.connect(timeout=5)

    assert not connected


async def test_transcript_is_encrypted_at_rest(available_operator: User) -> None:
    socket = await visitor()
    await start(socket, new_secret())
    await socket.disconnect()

    @database_sync_to_async
    def raw_texts() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT text FROM chat_chatmessage")
            return [str(row[0]) for row in cursor.fetchall()]

    stored = await raw_texts()
    assert stored
    assert all("phone" not in text and FIRST_WORDS not in text for text in stored)
    message = await database_sync_to_async(ChatMessage.objects.get)()
    assert message.text == FIRST_WORDS  # and read back through the field, decrypted


async def test_a_malformed_frame_is_answered_and_the_socket_lives() -> None:
    socket = await visitor()
    await socket.send_to(text_data="not json")
    assert (await socket.receive_json_from(timeout=5))["type"] == "chat.error"

    started = await start(socket, new_secret())

    assert started["type"] == "chat.started"
    await socket.disconnect()


async def test_operator_becomes_available_and_is_offered(helpline, operator: User, console) -> None:
    """An operator who is away is not offered the chat; available, the next one is offered."""
    away_socket = await console(operator)
    socket = await visitor()
    await start(socket, new_secret())
    await next_of(away_socket, "case.created")
    assert await away_socket.receive_nothing(timeout=0.3)

    await make_available(operator)
    other = await visitor(address="198.51.100.9")
    await start(other, new_secret())

    assert (await next_of(away_socket, "chat.offered"))["type"] == "chat.offered"
    for s in (socket, other, away_socket):
        await s.disconnect()


async def test_the_operator_ending_the_chat_tells_the_visitor(available_operator: User) -> None:
    socket = await visitor()
    await start(socket, new_secret())
    await take(available_operator)
    await next_of(socket, "chat.joined")

    @database_sync_to_async
    def end() -> None:
        services.end_chat(case=Case.objects.get(), actor=available_operator)

    await end()

    assert (await next_of(socket, "chat.closed")) == {"type": "chat.closed", "by": "operator"}
    await socket.send_json_to({"type": "chat.send", "text": SECOND, "client_id": new_client_id()})
    refused = await next_of(socket, "chat.error")
    assert refused["message"] == "This chat has ended."
    assert await counts() == (1, 1, 3)  # first message, "joined", "ended": nothing after
    await socket.disconnect()
