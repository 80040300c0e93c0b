"""Messages to victims (DESIGN rule 7): each is queued only as the safe-contact function allows,
or kept as suppressed with the reason. A supervisor may send past a refusal that may be lifted,
with a reason; never past a STOP or to no address. notifications.delivery asks again, with
`decide`, when the message is sent."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.workflow import CaseError, ConflictError, NotAllowedError
from notifications import safe_contact
from notifications.models import (
    REVEALING_WORDS,
    Notification,
    SmsKeyword,
    names_an_organisation,
)
from notifications.outbox import queue_on_commit
from project.crypto import blind_index

logger = logging.getLogger(__name__)

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
START_WORDS = frozenset({"start", "yes", "unstop"})
S = Notification.Status


@dataclass(frozen=True)
class Override:
    """A supervisor sending past a safe-contact refusal, and why (audited on the row)."""

    by: AbstractBaseUser
    reason: str


def message_victim(
    *,
    case: Any,
    channel: str,
    text: str,
    kind: str,
    sent_by: AbstractBaseUser | None = None,
    automated: bool = False,
    names_organisation: bool = False,
    override: Override | None = None,
    subject: str = "",
    now_only: bool = False,
) -> Notification:
    """Queue a message to the victim of a case, or keep it as suppressed with the reason, as the
    safe-contact function decides. Must run inside the transaction of the change it is about.
    Whether it is an automatic update and whether it names an organisation are stored on the row,
    so the check when it is sent asks the same question as the one now. `now_only`: a message
    that is no use later (a sign-in code) is kept as not sent rather than held for safe hours."""
    person = victim_of(case)
    # Words an admin wrote (an update type's notice) are read against every organisation Lantern
    # knows, as the old milestone templates were marked: they go to every helpline's victims.
    # Words staff typed for this case are read against the case's own organisations.
    named = names_organisation or _names_an_organisation(
        case, f"{text} {subject}", any_organisation=kind != "victim.reply"
    )
    decision, destination = decide(
        case, person, channel, automated=automated, names_organisation=named, text=text
    )
    row = Notification(
        person=person,
        case=case,
        case_number=case.number,
        channel=channel,
        kind=kind,
        text=text,
        # an email's subject is on the screen of whoever holds the phone: neutral words only
        subject=(subject or NEUTRAL_SUBJECT) if channel == "email" else "",
        destination=destination,
        sent_by=sent_by,
        automated=automated,
        names_organisation=named,
    )
    if decision.allowed and now_only and decision.not_before is not None:
        row.status, row.reason = S.SUPPRESSED, HELD_USELESS
    elif decision.allowed:
        row.not_before = decision.not_before
    elif override is not None:
        _apply_override(row, case, decision, override)
    else:
        row.status, row.reason = S.SUPPRESSED, decision.reason
    row.save()
    if row.status == S.PENDING and row.not_before is None:
        queue_on_commit([row])
    return row


def _apply_override(
    row: Notification, case: Any, decision: safe_contact.Decision, override: Override
) -> None:
    from cases.policy import can_supervise_case

    if not decision.overridable:
        raise ConflictError(f"No one can override this: {decision.reason}")
    if not can_supervise_case(override.by, case):
        raise NotAllowedError("Only a supervisor of the case's helpline can override safe contact.")
    if not override.reason.strip():
        raise CaseError("Say why the message must go despite the victim's preferences.")
    row.overridden_by, row.override_reason = override.by, override.reason.strip()
    row.reason = f"Sent despite: {decision.reason}"
    # A security event: who overrode on which case (ids only, never the reason or the text).
    logger.warning("safe_contact_override", extra={"case_id": case.pk, "user_id": override.by.pk})


NEUTRAL_SUBJECT = "Update"
HELD_USELESS = "Outside the victim's safe hours, and of no use later: not sent."
NAMES_ORG_REASON = "The message names an organisation, and the victim asked us not to."


def victim_of(case: Any) -> Any:
    # The case page fetched its people already (cases.selectors.access_case): read those, not
    # the database again (three times a page: the contact answers and the portal's rules).
    fetched = getattr(case, "_prefetched_objects_cache", {}).get("people")
    if fetched is not None:
        link = min((link for link in fetched if link.role == "victim"), key=lambda link: link.pk,
                   default=None)  # fmt: skip
    else:
        link = case.people.select_related("person").filter(role="victim").first()
    return link.person if link else None


def decide(
    case: Any,
    person: Any,
    channel: str,
    *,
    automated: bool,
    text: str,
    names_organisation: bool = False,
    now: datetime | None = None,
) -> tuple[safe_contact.Decision, str]:
    """The safe-contact decision for this message now, and the address it would go to. The text
    is read again for the case's organisations: a referral since it was queued adds a name."""
    now = now or timezone.now()
    prefs = (person.contact_preferences if person else None) or {}
    destination = ""
    wrote_at = None
    if channel == safe_contact.WHATSAPP:
        # Their WhatsApp number is the one they wrote from; the session window runs from then.
        destination, wrote_at = whatsapp_address(case) if person is not None else ("", None)
    elif person is not None:
        # a portal message goes to no address: the victim reads it signed in
        addresses = {"email": prefs.get("email", ""), "portal": ""}
        destination = addresses.get(channel, person.phone)
        if channel == safe_contact.SMS:
            wrote_at = _last_message_from(case, destination)
    decision = safe_contact.decide(
        prefs,
        channel,
        now=now,
        has_address=bool(destination),
        texted_stop=bool(destination)
        and channel in safe_contact.MESSAGING
        and sms_opted_out(destination),
        victim_wrote_at=wrote_at,
        automated=automated,
    )
    if (
        decision.allowed
        and decision.discreet
        and (names_organisation or _names_an_organisation(case, text))
    ):
        decision = safe_contact.Decision(allowed=False, code="names_org", reason=NAMES_ORG_REASON)
    return decision, destination


def _last_message_from(case: Any, phone: str) -> datetime | None:
    if not phone:
        return None
    return (
        case.reports.filter(sender_index=blind_index(phone))
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )


def whatsapp_address(case: Any) -> tuple[str, datetime | None]:
    """The number the case's latest WhatsApp message came from (E.164, as the webhook stored it)
    and when: the victim's WhatsApp address and the start of its session window. ("", None) when
    nobody wrote to the case by WhatsApp."""
    latest = (
        case.reports.filter(channel=safe_contact.WHATSAPP)
        .exclude(sender_index="")  # the sender is encrypted: its blind index says it is there
        .order_by("-received_at", "-pk")
        .only("sender", "received_at")
        .first()
    )
    return (latest.sender, latest.received_at) if latest else ("", None)


def _names_an_organisation(case: Any, text: str, *, any_organisation: bool = False) -> bool:
    """Whether the words name the case's helpline or an organisation it was referred to, or say
    "helpline"; with `any_organisation`, any organisation Lantern knows (the update message types'
    admin warns of such words when they are saved)."""
    from accounts.models import Organisation

    if any_organisation and names_an_organisation(text):
        return True
    words = text.casefold()
    names = Organisation.objects.filter(
        Q(pk=case.helpline_id) | Q(referrals__case=case)
    ).values_list("name", flat=True)
    return any(name.casefold() in words for name in [*names, *REVEALING_WORDS] if name)


# Staff writing ----------------------------------------------------------------------------------

# The ways staff may write to a victim from the case page.
REPLY_CHANNELS = (
    Notification.Channel.SMS,
    Notification.Channel.WHATSAPP,
    Notification.Channel.EMAIL,
)


@transaction.atomic
def reply_to_victim(
    *, case: Any, actor: AbstractBaseUser, channel: str, text: str, override_reason: str = ""
) -> Notification:
    """A member of staff writes to the victim from the case page. Whoever works on the case may;
    the safe-contact function decides whether it goes, and a supervisor may send past a refusal
    with a reason."""
    from cases.moves import lock_case, require
    from cases.policy import can_change_case

    locked = lock_case(case)
    require(can_change_case(actor, locked), locked, "You cannot write to this case's victim.")
    text = text.strip()
    if not text:
        raise CaseError("Write the message first.")
    if channel not in REPLY_CHANNELS:
        raise CaseError("Choose text message, WhatsApp or email.")
    override = Override(by=actor, reason=override_reason) if override_reason.strip() else None
    return message_victim(
        case=locked,
        channel=channel,
        text=text,
        kind="victim.reply",
        sent_by=actor,
        override=override,
    )


def contact_check(case: Any, channel: str, text: str = "") -> safe_contact.Decision:
    """What the safe-contact function says now about writing to this case's victim by `channel`
    (for the case page, before anyone types)."""
    return decide(case, victim_of(case), channel, automated=False, text=text)[0]


def sms_acknowledgement(*, case: Any, sender: str, channel: str = "sms") -> str:
    """The reply to an inbound text (settings.SMS_ACK_TEXT, off by default), put in Twilio's answer
    if the safe-contact function lets it go to that phone now: they just wrote, which "only if I
    contact you first" allows; a STOP, "do not contact" or no recorded preferences do not. Kept
    in the outbox either way, as sent or as suppressed with the reason. `channel` is the way the
    message came ("whatsapp" for a WhatsApp message: Twilio's answer goes back that way, so it
    is that way the victim must have named as safe)."""
    channel = channel if channel in safe_contact.MESSAGING else "sms"
    if not settings.SMS_ACK_TEXT:
        return ""
    now = timezone.now()
    person = victim_of(case)
    decision = safe_contact.decide(
        (person.contact_preferences if person else None) or {},
        channel,
        now=now,
        has_address=bool(sender),
        texted_stop=sms_opted_out(sender),
        victim_wrote_at=now,
    )
    named = _names_an_organisation(case, settings.SMS_ACK_TEXT)
    if decision.allowed and decision.discreet and named:
        decision = safe_contact.Decision(allowed=False, code="names_org", reason=NAMES_ORG_REASON)
    goes = decision.allowed and decision.not_before is None
    Notification.objects.create(
        person=person,
        case=case,
        case_number=case.number,
        channel=channel,
        kind="victim.sms_ack",
        text=settings.SMS_ACK_TEXT,
        destination=sender,
        names_organisation=named,
        status=S.SENT if goes else S.SUPPRESSED,
        reason="" if goes else decision.reason or "Outside the victim's safe hours.",
        sent_at=now if goes else None,
    )
    return settings.SMS_ACK_TEXT if goes else ""


# STOP and START ---------------------------------------------------------------------------------


def sms_keyword(body: str) -> str | None:
    """STOP or START when the whole message is one of the carrier keywords, else None."""
    word = body.strip().strip(".!").casefold()
    if word in STOP_WORDS:
        return SmsKeyword.Keyword.STOP
    if word in START_WORDS:
        return SmsKeyword.Keyword.START
    return None


def record_sms_keyword(*, message_sid: str, phone: str, keyword: str) -> None:
    """Remember a STOP/START from a phone; a retry of the same message changes nothing."""
    SmsKeyword.objects.get_or_create(
        message_sid=message_sid,
        defaults={"phone_index": blind_index(phone), "keyword": keyword},
    )


def sms_opted_out(phone: str) -> bool:
    """Whether the phone's latest keyword is STOP: no SMS may go to it until it sends START."""
    latest = (
        SmsKeyword.objects.filter(phone_index=blind_index(phone))
        .order_by("-received_at", "-pk")
        .first()
    )
    return latest is not None and latest.keyword == SmsKeyword.Keyword.STOP
