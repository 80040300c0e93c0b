"""The messages that tell a victim there is something for them in the portal (an update, a reply,
an invitation, a sign-in code): the words of an update message type in their language, by the
first of its channels their safe-contact answers allow, through the outbox (notifications).
Never what the update says: only that there is one, and the portal's link."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser

from notifications.models import Notification
from notifications.victim_messages import decide, message_victim, victim_of
from portal.models import UpdateText, UpdateType

NOTICE_CHANNELS = ("sms", "email")
# What a notice may leave for Lantern to fill in; anything else stays as typed.
PLACEHOLDERS = ("link", "reference", "code", "minutes")


def portal_link() -> str:
    return f"{settings.PUBLIC_BASE_URL}/portal/"


def text_for(update_type: UpdateType, language: str) -> UpdateText | None:
    """The type's words in `language`, else in English, else none."""
    texts = {text.language: text for text in update_type.texts.all()}
    return texts.get(language) or texts.get("en")


def victim_language(case: Any) -> str:
    person = victim_of(case)
    prefs = (person.contact_preferences if person else None) or {}
    return prefs.get("language") or "en"


def fill(words: str, values: Mapping[str, str]) -> str:
    for name in PLACEHOLDERS:
        if name in values:
            words = words.replace(f"{{{name}}}", values[name])
    return words


def send_notice(
    *,
    case: Any,
    update_type: UpdateType,
    automated: bool,
    values: Mapping[str, str] | None = None,
    sent_by: AbstractBaseUser | None = None,
    now_only: bool = False,
) -> Notification | None:
    """Queue the type's notice to the case's victim (in the caller's transaction), or keep it as
    not sent with the safe-contact function's reason. None when the case has no victim, the type
    has no words or no channel Lantern can send by."""
    person = victim_of(case)
    channels = [c for c in update_type.channels if c in NOTICE_CHANNELS]
    text = text_for(update_type, victim_language(case))
    if person is None or text is None or not channels:
        return None
    filled = fill(text.notice, {"link": portal_link(), **(values or {})})
    chosen = choose_channel(case, person, channels, automated=automated, text=filled)
    return message_victim(
        case=case,
        channel=chosen,
        text=filled,
        kind=f"victim.{update_type.code}",
        sent_by=sent_by,
        automated=automated,
        subject=text.subject,
        now_only=now_only,
    )


def choose_channel(
    case: Any, person: Any, channels: list[str], *, automated: bool, text: str
) -> str:
    """The first of `channels` the safe-contact function allows now, else the first (the message
    is then kept as not sent, with the reason)."""
    return next(
        (c for c in channels if _allowed_now(case, person, c, automated=automated, text=text)),
        channels[0],
    )


def _allowed_now(case: Any, person: Any, channel: str, *, automated: bool, text: str) -> bool:
    decision, _ = decide(case, person, channel, automated=automated, text=text)
    return decision.allowed and decision.not_before is None
