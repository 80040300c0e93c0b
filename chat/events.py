"""The web chat's live events: group names and shapes. Events carry ids and words about the
conversation's state, never what anyone wrote: each socket reads the message itself, through a
selector that checks it may (chat.selectors), so a message crosses Redis only as an id."""

from __future__ import annotations

from typing import Literal, TypedDict

from django.db import transaction

from notifications.realtime import broadcast, user_group


def visitor_group(conversation_id: int) -> str:
    """The one group a visitor's socket joins: its own conversation's."""
    return f"chat.visitor.{conversation_id}"


class MessagePosted(TypedDict):
    type: Literal["chat.message"]
    case: str
    message_id: int


class Joined(TypedDict):
    type: Literal["chat.joined"]
    case: str


class Closed(TypedDict):
    type: Literal["chat.closed"]
    case: str
    by: str


class Offered(TypedDict):
    """To an available operator of the helpline: a visitor waits in the web chat."""

    type: Literal["chat.offered"]
    case: str


ChatEvent = MessagePosted | Joined | Closed | Offered


def send_on_commit(groups: list[str], event: ChatEvent) -> None:
    """After commit, like every event (DESIGN rule 5); never raises (notifications.realtime)."""
    transaction.on_commit(lambda: broadcast(groups, event), robust=True)  # type: ignore[arg-type]


def to_both(conversation_id: int, operator_id: int | None, event: ChatEvent) -> None:
    groups = [visitor_group(conversation_id)]
    if operator_id is not None:
        groups.append(user_group(operator_id))
    send_on_commit(groups, event)
