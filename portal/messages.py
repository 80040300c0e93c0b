"""Two-way messages in the portal. The victim writes: their message becomes a Report on their case
(cases.services.add_report), so it joins the case's thread and its holder and the people working
its live referrals get a follow-up to reply and an alert, as a text on an open case does. Staff
reply: a Notification of channel "portal" that the victim reads only after signing in, and a
neutral "you have a new message" notice by the way their safe-contact answers allow.

The case always comes from the portal session (AC-07), never from anything the browser sends."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from cases.models import Case, Report
from cases.moves import lock_case, require
from cases.policy import can_change_case
from cases.services import IncomingReport, add_report
from cases.workflow import CaseError, ConflictError
from notifications.models import Notification
from notifications.victim_messages import message_victim
from portal.models import PortalAccess, UpdateType
from portal.notices import send_notice
from portal.progress import portal_replies
from portal.rules import may_sign_in

if TYPE_CHECKING:
    from portal.session import Visitor

MAX_LENGTH = 2000
REPLY_KIND = "victim.portal_reply"
NEW_MESSAGE = "new_message"  # the system update type whose notice says "you have a new message"
# A closed case keeps its portal for a grace period (portal.rules), to read, not to write in.
NO_WRITING = {Case.Status.CLOSED, Case.Status.ARCHIVED}
# The form's one-time token: what portal.message_forms issues (secrets.token_urlsafe).
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class MessageRefusedError(Exception):
    """The victim cannot send a message now (in words they can read)."""


def new_token() -> str:
    return secrets.token_urlsafe(24)


def can_write(access: PortalAccess) -> bool:
    case = access.case
    return may_sign_in(access) and case.closed_at is None and case.status not in NO_WRITING


def victim_writes(visitor: Visitor, text: str, *, token: str = "") -> Report:
    """Store what the victim wrote on the case of their portal session. `token` is the form's:
    the same form sent twice (a double click, a retry) is one message. Locks the access, so a
    revoke or a second send at the same moment waits for this one."""
    text = text.strip()
    if visitor.decoy:  # portal.session never lets a decoy session reach a real page; never write
        raise MessageRefusedError("Your message could not be sent.")
    if not text:
        raise MessageRefusedError("Write your message.")
    if len(text) > MAX_LENGTH:
        raise MessageRefusedError(f"Your message must be {MAX_LENGTH:,} characters or fewer.")
    with transaction.atomic():
        # The case first, then the access: the order staff's invite and revoke take them in, so
        # a message sent while staff act on the access waits instead of deadlocking.
        lock_case(visitor.access.case)
        access = (
            PortalAccess.objects.select_for_update(of=("self",))
            .select_related("case")
            .get(pk=visitor.access.pk)
        )
        if not can_write(access):
            raise MessageRefusedError("You cannot send messages here now.")
        token = token if TOKEN.match(token or "") else new_token()
        report, created = _store(access, text, token)
        if not created and report.body != text:
            # The same form sent again with other words (back, then a new message): not a
            # repeat, so a message of its own.
            report, _ = _store(access, text, new_token())
    return report


def _store(access: PortalAccess, text: str, token: str) -> tuple[Report, bool]:
    # The access in the source id: one victim's token can never match another's message.
    return add_report(
        case=access.case,
        report=IncomingReport(channel=Report.PORTAL, source_id=f"{access.pk}:{token}", body=text),
    )


@dataclass(frozen=True)
class ThreadEntry:
    at: datetime
    mine: bool  # written by the victim
    text: str
    unread: bool = False


def thread(access: PortalAccess) -> list[ThreadEntry]:
    """The portal conversation, oldest first: what the victim wrote here and what staff wrote to
    them here. Nothing else of the case (not its first report, not texts or emails), and only what
    this access wrote: a merge or a moved report can bring another victim's portal message onto
    the case, and it must never read as theirs."""
    case = access.case
    mine = Report.objects.filter(
        case=case, channel=Report.PORTAL, source_id__startswith=f"{access.pk}:"
    )
    entries = [ThreadEntry(at=report.received_at, mine=True, text=report.body) for report in mine]
    entries += [
        ThreadEntry(at=row.created_at, mine=False, text=row.text, unread=row.read_at is None)
        for row in portal_replies(case)
    ]
    entries.sort(key=lambda entry: entry.at)
    return entries


def mark_replies_read(case: Case) -> None:
    """The victim has seen every reply on the page. A plain update: outbox rows keep no history,
    and staff see "Read in the portal" on the case page."""
    portal_replies(case).filter(read_at=None).update(read_at=timezone.now())


@transaction.atomic
def reply_in_portal(*, case: Case, actor: AbstractBaseUser, text: str) -> Notification:
    """A member of staff writes to the victim in the portal (from the case page's portal panel).
    Whoever may change the case may. The words stay in Lantern; the victim's safe way of contact
    gets only the neutral "new message" notice (or nothing, as safe contact decides), in this
    transaction."""
    locked = lock_case(case)
    require(can_change_case(actor, locked), locked, "You cannot write to this case's victim.")
    text = text.strip()
    if not text:
        raise CaseError("Write the message first.")
    if len(text) > MAX_LENGTH:
        raise CaseError(f"A portal message is at most {MAX_LENGTH:,} characters.")
    access = PortalAccess.objects.select_related("case").filter(case=locked).first()
    if access is None or not may_sign_in(access):
        raise ConflictError(
            "The victim cannot sign in to the portal now, so they would not see it."
        )
    row = message_victim(
        case=locked, channel=Notification.Channel.PORTAL, text=text, kind=REPLY_KIND, sent_by=actor
    )
    notice_type = UpdateType.objects.filter(code=NEW_MESSAGE, is_active=True).first()
    if notice_type is not None:
        send_notice(case=locked, update_type=notice_type, automated=False, sent_by=actor)
    return row
