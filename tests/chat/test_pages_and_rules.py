"""The web chat's pages and rules without sockets: the public page keeps nothing in the browser;
an operator takes a chat only while available, and ends it; the Chat panel on the case page
(escaped, hidden from those who may not read personal details); rate limits that fail open;
message hygiene; the idle close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from chat import services
from chat.models import ChatMessage, Conversation
from live.models import OperatorState
from live.presence import set_state
from tests.chat.conftest import FIRST_WORDS, new_client_id, new_secret

pytestmark = pytest.mark.django_db
ADDRESS = "198.51.100.7"
MARKUP = "Made-up words <script>alert(1)</script> & more"


def start(text: str = FIRST_WORDS, *, client: str = ADDRESS) -> Conversation:
    conversation, _ = services.start_chat(
        secret=new_secret(), text=text, client_id=new_client_id(), client=client
    )
    return conversation


def available(user: User) -> User:
    User.objects.filter(pk=user.pk).update(on_duty=True)
    set_state(user=user, state="available")
    return user


# The public page -------------------------------------------------------------------------------


def test_the_chat_page_sets_no_cookie_and_is_not_cached() -> None:
    response = Client().get("/chat/")

    assert response.status_code == 200
    assert response.cookies == {}
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    assert 'role="log"' in body
    assert 'aria-live="polite"' in body
    assert '<label class="public-label" for="chat-text">' in body
    assert "govuk-exit-this-page" in body  # the quick exit of every public page
    assert "js/chat.js" in body


def test_the_chat_page_is_gone_when_the_chat_is_off(settings) -> None:
    settings.CHAT_ENABLED = False

    assert Client().get("/chat/").status_code == 404


# Taking and ending ------------------------------------------------------------------------------


def test_an_operator_who_is_not_available_cannot_take_a_chat(operator: User, otp_client) -> None:
    conversation = start()
    set_state(user=operator, state="away")

    response = otp_client(operator).post(
        "/chat/take/", {"case": conversation.case.number}, follow=True
    )

    assert "set yourself as available" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING
    assert Case.objects.get().status == Case.Status.NEW


def test_an_available_operator_takes_the_chat(operator: User, otp_client) -> None:
    conversation = start()
    available(operator)

    response = otp_client(operator).post("/chat/take/", {"case": conversation.case.number})

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert (conversation.status, conversation.operator) == (Conversation.Status.ACTIVE, operator)
    case = Case.objects.get()
    assert (case.status, case.claimed_by) == (Case.Status.IN_TRIAGE, operator)
    state = OperatorState.objects.get(user=operator)
    assert (state.state, state.activity, state.case) == ("busy", "chat", case)


def test_a_second_operator_cannot_take_a_taken_chat(operator: User, helpline) -> None:
    from tests.factories import StaffFactory

    colleague = available(StaffFactory(username="femi", organisation=helpline))
    conversation = start()
    services.take_chat(case=conversation.case, actor=available(operator))

    with pytest.raises(services.ChatError, match="Another operator"):
        services.take_chat(case=conversation.case, actor=colleague)


def test_the_operator_ends_the_chat_and_wraps_up(operator: User, otp_client) -> None:
    conversation = start()
    services.take_chat(case=conversation.case, actor=available(operator))

    otp_client(operator).post("/chat/end/", {"case": conversation.case.number})

    conversation.refresh_from_db()
    assert (conversation.status, conversation.closed_by) == ("closed", "operator")
    assert OperatorState.objects.get(user=operator).state == "wrap_up"


def test_a_chat_of_another_helpline_is_not_found(other_operator: User, otp_client) -> None:
    conversation = start()

    response = otp_client(other_operator).post("/chat/take/", {"case": conversation.case.number})

    assert response.status_code == 404


# The Chat panel on the case page ---------------------------------------------------------------


def test_the_panel_shows_the_transcript_escaped_and_the_composer_to_its_holder(
    operator: User, otp_client
) -> None:
    conversation = start(MARKUP)
    services.take_chat(case=conversation.case, actor=available(operator))

    body = otp_client(operator).get(f"/cases/{conversation.case.number}/").content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in body
    assert "<script>alert(1)</script>" not in body
    assert 'id="chat-composer"' in body
    # the vetted replies' picker (notifications.canned): the URL of this case's replies
    assert f'data-canned-replies="/cases/{conversation.case.number}/replies/"' in body
    assert "js/chat-console.js" in body
    assert "End chat" in body


def test_the_panel_offers_take_to_operators_while_waiting(operator: User, otp_client) -> None:
    conversation = start()
    available(operator)

    body = otp_client(operator).get(f"/cases/{conversation.case.number}/").content.decode()

    assert "Take this chat" in body
    assert 'id="chat-composer"' not in body


def test_the_panel_hides_the_words_from_a_role_without_personal_details(
    operator: User, monitor: User, otp_client
) -> None:
    conversation = start()
    services.take_chat(case=conversation.case, actor=available(operator))
    response = otp_client(monitor).get(f"/cases/{conversation.case.number}/")

    assert response.status_code == 200  # monitors read cases, not the people in them
    body = response.content.decode()
    assert FIRST_WORDS not in body
    assert "Content hidden" in body


# Rate limits (IN-05) ----------------------------------------------------------------------------


def test_new_chats_per_address_are_limited_and_nothing_is_stored(settings) -> None:
    settings.CHAT_STARTS_PER_ADDRESS = 2
    start()
    start()

    with pytest.raises(services.RateLimitedError, match="try again later"):
        start()

    assert Case.objects.count() == 2
    start(client="203.0.113.50")  # another address is not held back
    assert Case.objects.count() == 3


def test_messages_per_conversation_are_limited(settings) -> None:
    settings.CHAT_MESSAGES_PER_MINUTE = 2
    conversation = start()
    for _ in range(2):
        services.post_visitor_message(
            conversation_id=conversation.pk, text="Made-up again", client_id=new_client_id()
        )

    with pytest.raises(services.RateLimitedError, match="Wait a minute"):
        services.post_visitor_message(
            conversation_id=conversation.pk, text="Made-up again", client_id=new_client_id()
        )

    assert ChatMessage.objects.count() == 3


def test_the_limits_stay_open_when_the_cache_is_down(settings, monkeypatch) -> None:
    settings.CHAT_STARTS_PER_ADDRESS = 1

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", down)
    for _ in range(3):
        start()

    assert Case.objects.count() == 3


# Message hygiene -------------------------------------------------------------------------------


def test_nul_is_stripped_and_a_long_message_is_refused(settings) -> None:
    settings.CHAT_MAX_MESSAGE_CHARS = 50
    conversation = start("Made-up\x00 words")
    assert ChatMessage.objects.get().text == "Made-up words"

    with pytest.raises(services.ChatError, match="up to 50 characters"):
        services.post_visitor_message(
            conversation_id=conversation.pk, text="x" * 51, client_id=new_client_id()
        )
    with pytest.raises(services.ChatError, match="Write a message"):
        services.post_visitor_message(
            conversation_id=conversation.pk, text=" \x00 ", client_id=new_client_id()
        )
    assert ChatMessage.objects.count() == 1


def test_a_closed_chat_takes_no_more_messages() -> None:
    conversation = start()
    services.leave_chat(conversation_id=conversation.pk)

    with pytest.raises(services.ChatClosedError):
        services.post_visitor_message(
            conversation_id=conversation.pk, text="Made-up late words", client_id=new_client_id()
        )


# The idle close ---------------------------------------------------------------------------------


def test_idle_chats_close_and_their_operator_wraps_up(operator: User, settings) -> None:
    settings.CHAT_IDLE_MINUTES = 20
    idle = start()
    services.take_chat(case=idle.case, actor=available(operator))
    lively = start()
    later = timezone.now() + timedelta(minutes=21)
    Conversation.objects.filter(pk=lively.pk).update(last_activity_at=later - timedelta(minutes=5))

    assert services.close_idle_chats(now=later) == 1

    idle.refresh_from_db()
    lively.refresh_from_db()
    assert (idle.status, idle.closed_by) == ("closed", "timeout")
    assert lively.status == "waiting"
    assert OperatorState.objects.get(user=operator).state == "wrap_up"
    assert services.close_idle_chats(now=later) == 0  # once
