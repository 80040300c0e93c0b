"""Every write of the web chat: a visitor starts a chat (its case opens at the first message),
writes, leaves; an available operator takes it (claims the case, goes busy), writes, ends it; a
chat left idle closes. Each in one transaction, its events sent after commit (chat.events)."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from cases.policy import can_supervise_case, can_work_case
from cases.services import IncomingReport, open_case
from chat import events, limits
from chat.models import ChatMessage, Conversation
from intake.services import IntakeError, helpline_for
from live.models import OperatorState
from live.presence import available_operators, end_conversation, start_conversation, state_of
from notifications.realtime import user_group
from triage.services import claim_case

logger = logging.getLogger(__name__)

Status = Conversation.Status
Sender = ChatMessage.Sender
SECRET_CHARS = (32, 128)  # the page's secret: at least 32 random characters (chat.js: 43)
CLIENT_ID_CHARS = 64

SYSTEM_WORDS = {
    "joined": "An operator joined the chat.",
    Conversation.ClosedBy.VISITOR: "The visitor left the chat.",
    Conversation.ClosedBy.OPERATOR: "The operator ended the chat.",
    Conversation.ClosedBy.TIMEOUT: "The chat closed: nobody wrote for a while.",
}


class ChatError(Exception):
    """Refused, for a reason the person can be told in these words."""


class RateLimitedError(ChatError):
    pass


class ChatClosedError(ChatError):
    pass


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def clean_text(text: object) -> str:
    """What may be stored of a message: text, NULs removed, not empty, not over the limit."""
    if not isinstance(text, str):
        raise ChatError("Write a message first.")
    text = text.replace("\x00", "").strip()
    if not text:
        raise ChatError("Write a message first.")
    if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise ChatError(
            f"Messages can be up to {settings.CHAT_MAX_MESSAGE_CHARS} characters: "
            "please split it in two."
        )
    return text


def _client_id(value: object) -> str:
    return value[:CLIENT_ID_CHARS] if isinstance(value, str) else ""


def start_chat(
    *, secret: object, text: object, client_id: object, client: str
) -> tuple[Conversation, ChatMessage]:
    """The visitor's first message: opens a case of channel chat at the default helpline and its
    conversation, waiting. The page made the secret; sent again (the socket dropped before the
    answer) it finds the same conversation, and the message is stored once."""
    if not isinstance(secret, str) or not SECRET_CHARS[0] <= len(secret) <= SECRET_CHARS[1]:
        raise ChatError("The chat could not start: reload the page and try again.")
    existing = Conversation.objects.filter(token_hash=token_hash(secret)).first()
    if existing is not None:
        message, _ = post_visitor_message(
            conversation_id=existing.pk, text=text, client_id=client_id
        )
        return existing, message
    words = clean_text(text)
    if limits.over_start_limit(client):
        logger.info("chat_start_rate_limited")
        raise RateLimitedError(
            "Many chats were started from your connection in the last hour, so this one could "
            "not start. Please try again later, or use another way to reach us below."
        )
    try:
        helpline = helpline_for()
    except IntakeError:
        logger.error("chat_unroutable")
        raise ChatError("The chat is not available just now. Please try again later.") from None
    try:
        return _open(helpline=helpline, secret=secret, words=words, client_id=client_id)
    except IntegrityError:  # the same start twice at once: the other won
        existing = Conversation.objects.get(token_hash=token_hash(secret))
        message, _ = post_visitor_message(
            conversation_id=existing.pk, text=text, client_id=client_id
        )
        return existing, message


@transaction.atomic
def _open(
    *, helpline: object, secret: str, words: str, client_id: object
) -> tuple[Conversation, ChatMessage]:
    report = IncomingReport(
        channel=Case.Channel.CHAT, source_id=f"chat-{uuid.uuid4().hex}", body=words
    )
    case, _ = open_case(helpline=helpline, report=report)  # type: ignore[arg-type]
    conversation = Conversation.objects.create(
        case=case, helpline=case.helpline, token_hash=token_hash(secret)
    )
    message = ChatMessage.objects.create(
        conversation=conversation,
        sender=Sender.VISITOR,
        text=words,
        client_id=_client_id(client_id),
    )
    offered = [user_group(user.pk) for user in available_operators(case.helpline)]
    events.send_on_commit(offered, events.Offered(type="chat.offered", case=case.number))
    logger.info("chat_started", extra={"operators_offered": len(offered)})
    return conversation, message


def post_visitor_message(
    *, conversation_id: int, text: object, client_id: object
) -> tuple[ChatMessage, bool]:
    """Store the visitor's message once per client id; (message, stored now)."""
    key = _client_id(client_id)
    if key and (
        already := ChatMessage.objects.filter(
            conversation_id=conversation_id, sender=Sender.VISITOR, client_id=key
        ).first()
    ):
        return already, False
    words = clean_text(text)
    if limits.over_message_limit(conversation_id):
        logger.info("chat_message_rate_limited")
        raise RateLimitedError(
            "You are sending messages very fast. Wait a minute, then send again."
        )
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        return _post(conversation, Sender.VISITOR, None, words, key)


def post_operator_message(
    *, actor: User, case_number: str, text: object, client_id: object
) -> tuple[ChatMessage, bool]:
    """Only the operator holding the case's open conversation, still allowed to work the case."""
    words = clean_text(text)
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("case")
            .filter(case__number=case_number, status=Status.ACTIVE, operator=actor)
            .first()
        )
        if conversation is None or not can_work_case(actor, conversation.case):
            raise ChatError("Only the operator chatting on this case can write in its chat.")
        return _post(conversation, Sender.OPERATOR, actor, words, _client_id(client_id))


def _post(
    conversation: Conversation, sender: str, author: User | None, words: str, key: str
) -> tuple[ChatMessage, bool]:
    if conversation.status == Status.CLOSED:
        raise ChatClosedError("This chat has ended.")
    if key:
        already = conversation.messages.filter(sender=sender, client_id=key).first()
        if already is not None:
            return already, False
    try:
        with transaction.atomic():  # a savepoint: the same resend on two sockets at once
            message = ChatMessage.objects.create(
                conversation=conversation, sender=sender, author=author, text=words, client_id=key
            )
    except IntegrityError:
        return conversation.messages.get(sender=sender, client_id=key), False
    conversation.last_activity_at = message.sent_at
    conversation.save(update_fields=["last_activity_at"])
    _announce(conversation, message)
    return message, True


def _announce(conversation: Conversation, message: ChatMessage) -> None:
    events.to_both(
        conversation.pk,
        conversation.operator_id,
        events.MessagePosted(
            type="chat.message", case=conversation.case.number, message_id=message.pk
        ),
    )


@transaction.atomic
def take_chat(*, case: Case, actor: User) -> Conversation:
    """An available operator takes the waiting chat: claims its case and goes busy with it."""
    conversation = (
        Conversation.objects.select_for_update().filter(case=case).exclude(status=Status.CLOSED)
    ).first()
    if conversation is None:
        raise ChatError("This case has no open chat.")
    if conversation.status == Status.ACTIVE:
        if conversation.operator_id == actor.pk:
            return conversation
        raise ChatError("Another operator already took this chat.")
    if state_of(actor) != OperatorState.State.AVAILABLE:
        raise ChatError("Only an available operator can take a chat: set yourself as available.")
    claim_case(case=case, actor=actor)  # refused if someone else holds it, or actor may not
    now = timezone.now()
    conversation.status, conversation.operator = Status.ACTIVE, actor
    conversation.answered_at = conversation.last_activity_at = now
    conversation.save(update_fields=["status", "operator", "answered_at", "last_activity_at"])
    ChatMessage.objects.create(
        conversation=conversation, sender=Sender.SYSTEM, text=SYSTEM_WORDS["joined"]
    )
    start_conversation(user=actor, activity="chat", case=case)
    events.to_both(conversation.pk, actor.pk, events.Joined(type="chat.joined", case=case.number))
    return conversation


@transaction.atomic
def close_chat(*, conversation_id: int, by: str, now: datetime | None = None) -> Conversation:
    """Close it (once: closing a closed chat changes nothing), tell both sides, and put its
    operator in wrap-up."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("case", "operator")
        .get(pk=conversation_id)
    )
    if conversation.status == Status.CLOSED:
        return conversation
    now = now or timezone.now()
    conversation.status, conversation.closed_at, conversation.closed_by = Status.CLOSED, now, by
    conversation.save(update_fields=["status", "closed_at", "closed_by"])
    ChatMessage.objects.create(
        conversation=conversation, sender=Sender.SYSTEM, text=SYSTEM_WORDS[by], sent_at=now
    )
    if conversation.operator is not None:
        end_conversation(user=conversation.operator, now=now)
    events.to_both(
        conversation.pk,
        conversation.operator_id,
        events.Closed(type="chat.closed", case=conversation.case.number, by=by),
    )
    logger.info("chat_closed", extra={"closed_by": by})
    return conversation


def leave_chat(*, conversation_id: int) -> Conversation:
    return close_chat(conversation_id=conversation_id, by=Conversation.ClosedBy.VISITOR)


def end_chat(*, case: Case, actor: User) -> Conversation:
    """The operator holding the chat ends it (or a supervisor of the case's helpline)."""
    conversation = case.chats.exclude(status=Status.CLOSED).first()
    if conversation is None:
        raise ChatError("This case has no open chat.")
    if conversation.operator_id != actor.pk and not can_supervise_case(actor, case):
        raise ChatError("Only the operator chatting on this case can end its chat.")
    return close_chat(conversation_id=conversation.pk, by=Conversation.ClosedBy.OPERATOR)


def touch(*, conversation_id: int) -> None:
    """The visitor's page is still open: the chat is not idle."""
    Conversation.objects.filter(pk=conversation_id).exclude(status=Status.CLOSED).update(
        last_activity_at=timezone.now()
    )


def close_idle_chats(*, now: datetime | None = None) -> int:
    """The periodic job: close chats idle past CHAT_IDLE_MINUTES. Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CHAT_IDLE_MINUTES)
    idle = Conversation.objects.exclude(status=Status.CLOSED).filter(last_activity_at__lt=cutoff)
    closed = 0
    for pk in idle.values_list("pk", flat=True):
        close_chat(conversation_id=pk, by=Conversation.ClosedBy.TIMEOUT, now=now)
        closed += 1
    return closed
