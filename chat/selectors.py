"""Reads of the web chat. A visitor reads only their own conversation's messages; staff read a
transcript only if they may read the case's personal details (cases.policy.can_see_identities),
and a message pushed live only while they hold its conversation."""

from __future__ import annotations

from typing import TypedDict

from accounts.models import User
from cases.policy import can_see_identities, can_work_case
from chat.models import ChatMessage, Conversation
from chat.services import token_hash


class MessageOut(TypedDict):
    id: int
    sender: str
    text: str
    client_id: str
    sent_at: str


def as_out(message: ChatMessage) -> MessageOut:
    return MessageOut(
        id=message.pk,
        sender=message.sender,
        text=message.text,
        client_id=message.client_id,
        sent_at=message.sent_at.isoformat(),
    )


def conversation_for_secret(secret: object) -> Conversation | None:
    """The open conversation whose visitor holds this secret, else None."""
    if not isinstance(secret, str) or not secret:
        return None
    return (
        Conversation.objects.filter(token_hash=token_hash(secret))
        .exclude(status=Conversation.Status.CLOSED)
        .first()
    )


def visitor_transcript(conversation_id: int) -> list[MessageOut]:
    return [as_out(m) for m in ChatMessage.objects.filter(conversation_id=conversation_id)]


def message_for_visitor(conversation_id: int, message_id: int) -> MessageOut | None:
    """A message of the visitor's own conversation, never another's."""
    found = ChatMessage.objects.filter(conversation_id=conversation_id, pk=message_id).first()
    return as_out(found) if found else None


def message_for_operator(user: User, message_id: int) -> tuple[str, MessageOut] | None:
    """(case number, message) if the user holds the message's conversation, may still work its
    case and may read personal details; else None."""
    found = (
        ChatMessage.objects.select_related("conversation__case")
        .filter(pk=message_id, conversation__operator=user)
        .first()
    )
    if found is None:
        return None
    case = found.conversation.case
    if not (can_work_case(user, case) and can_see_identities(user)):
        return None
    return case.number, as_out(found)


def case_chats(case: object) -> list[Conversation]:
    """The case's conversations, oldest first, their messages fetched in one more query."""
    return list(
        Conversation.objects.filter(case=case)
        .select_related("operator")
        .prefetch_related("messages", "messages__author")
        .order_by("started_at", "pk")
    )
