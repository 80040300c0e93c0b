"""The "Chat" section of the case page (cases.panels): the transcript, decrypted, for those who
may read the case's personal details; for an available operator a waiting chat's "Take this
chat"; for its holder while open the composer and "End chat". The page read is already audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cases.panels import Panel
from cases.policy import can_see_identities, can_supervise_case, can_work_case
from chat.models import Conversation
from chat.selectors import case_chats
from live.models import OperatorState
from live.presence import state_of

Status = Conversation.Status


def context(request: HttpRequest, case: Any) -> dict[str, Any] | None:
    if case.channel != "chat":
        return None
    chats = case_chats(case)
    if not chats:
        return None
    user = request.user
    current = next((c for c in chats if c.status != Status.CLOSED), None)
    works = can_work_case(user, case)
    holds = current is not None and current.operator_id == user.pk and works
    waiting = current is not None and current.status == Status.WAITING
    return {
        "chats": chats,
        "current": current,
        "readable": can_see_identities(user),
        "holds": holds and current.status == Status.ACTIVE,
        "may_take": waiting and works,
        "available": waiting and works and state_of(user) == OperatorState.State.AVAILABLE,
        "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
        "may_end": current is not None and (holds or (works and can_supervise_case(user, case))),
    }


PANEL = Panel(name="chat", template="chat/panel.html", context=context)
