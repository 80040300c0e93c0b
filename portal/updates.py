"""Updates on a victim's portal timeline, from the message types admins define (issue 14.5; they
replace the five fixed milestone messages). A case event or a partner's crime-system event sets
off every active type with that trigger and event; staff send the "sent by staff" ones from the
case page. Each becomes a PortalUpdate (what the victim reads when signed in, in their language)
and a neutral notice through the outbox and the safe-contact gate (portal.notices): "you have a
new update", the portal's link, never the update itself.

No notice without a portal access the victim may sign in with (never invited, revoked, or the
case closed past its grace period): it would send them to a page they cannot open, and a
message that leads nowhere is one more thing on a shared phone for nothing. The update is kept
all the same, so it is on their timeline if they are invited later.

With an access, whether the notice goes is the safe-contact function's call alone (an automatic
update needs the victim's "updates" wish): a refusal is kept as a suppressed outbox row with its
reason, linked from the update, so staff see why the victim was not told. Several things at
once are one message: an update within a minute of another portal message that is going to them
(a verification's invitation and its "case taken on" update, two types on one event) is linked
to that message instead of sending a second."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import formats, timezone, translation

from cases import events
from cases.workflow import CaseError
from notifications.models import Notification
from notifications.victim_messages import victim_of
from portal.models import PortalAccess, PortalUpdate, UpdateType
from portal.notices import send_notice, text_for, victim_language
from portal.rules import may_sign_in

# Notices within this many seconds of one another are one notice: a verification's invitation and
# its "case taken on" update, or two types set off by one event (see _recent_notice).
QUIET_SECONDS = 60
# The portal's own message that does not lead to the updates (it is typed in to sign in).
NOT_POINTING_AT_UPDATES = ("sign_in_code",)
TRIGGERS = {
    events.CASE: UpdateType.Trigger.CASE_EVENT,
    events.PARTNER: UpdateType.Trigger.PARTNER_EVENT,
}
WHEN = "{when}"


def on_case_event(
    sender: Any,
    *,
    case: Any,
    event: str,
    source: str = events.CASE,
    when: datetime | None = None,
    actor: Any = None,
    **kwargs: Any,
) -> None:
    """cases.signals.case_event, in the transaction of the change: one update per active type
    whose trigger and event match, each with its notice. A case without a victim: nothing."""
    trigger = TRIGGERS.get(source)
    if trigger is None or victim_of(case) is None:
        return
    matching = UpdateType.objects.filter(trigger=trigger, event=event, is_active=True)
    for update_type in matching.prefetch_related("texts"):
        add_update(case=case, update_type=update_type, when=when)


@transaction.atomic
def send_staff_update(
    *, case: Any, update_type: UpdateType, actor: AbstractBaseUser
) -> PortalUpdate:
    """A member of staff who may change the case sends it an update of a "sent by staff" type.
    Locks the case, so two people sending at once both land, one after the other."""
    from cases.moves import lock_case, require
    from cases.policy import can_change_case

    locked = lock_case(case)
    require(can_change_case(actor, locked), locked, "You cannot send this case's victim updates.")
    if update_type.trigger != UpdateType.Trigger.STAFF or not update_type.is_active:
        raise CaseError("Choose one of the updates staff send.")
    if victim_of(locked) is None:
        raise CaseError("This case has no victim to send an update to.")
    update = add_update(case=locked, update_type=update_type, sent_by=actor)
    if update is None:
        raise CaseError("This update has no words yet: an administrator must write them first.")
    return update


def add_update(
    *,
    case: Any,
    update_type: UpdateType,
    when: datetime | None = None,
    sent_by: AbstractBaseUser | None = None,
) -> PortalUpdate | None:
    """Write the update and its notice in the caller's transaction; None when the type has no
    words in the victim's language or English (nothing to show them)."""
    language = victim_language(case)
    text = text_for(update_type, language)
    if text is None:
        return None
    moment = _in_words(when, language) if when else ""
    update = PortalUpdate.objects.create(
        case=case,
        update_type=update_type,
        title=(text.title or update_type.name).replace(WHEN, moment)[:200],
        body=text.body.replace(WHEN, moment),
        sent_by=sent_by,
    )
    if _may_read_it(case):
        # One a member of staff chose to send is theirs, like a reply they typed: it does not
        # need the victim's wish for automatic updates (safe contact asks the rest of it).
        update.notice = _recent_notice(case) or send_notice(
            case=case, update_type=update_type, automated=sent_by is None, sent_by=sent_by
        )
        update.save(update_fields=["notice"])
    return update


def _recent_notice(case: Any) -> Notification | None:
    """A portal message that is going, or went, to the victim moments ago: the invitation a
    verification just sent, or the notice of another update the same change made. It already
    sends them to the portal, where this update is too; a second text at once is one more thing
    on a shared phone. A refused one is no help: the new notice is asked for on its own."""
    since = timezone.now() - timedelta(seconds=QUIET_SECONDS)
    kinds = [
        f"victim.{code}"
        for code in UpdateType.objects.exclude(code__in=NOT_POINTING_AT_UPDATES).values_list(
            "code", flat=True
        )
    ]
    return (
        Notification.objects.filter(case=case, kind__in=kinds, created_at__gte=since)
        .exclude(status__in=[Notification.Status.SUPPRESSED, Notification.Status.FAILED])
        .order_by("-created_at", "-pk")
        .first()
    )


def _may_read_it(case: Any) -> bool:
    access = PortalAccess.objects.filter(case=case).select_related("case").first()
    return access is not None and may_sign_in(access)


def _in_words(moment: datetime, language: str) -> str:
    """An appointment's local date and time with the day and month named in the victim's
    language where Django knows it ("Tuesday 3 March 2026, 10:30")."""
    with translation.override(language):
        return formats.date_format(timezone.localtime(moment), "l j F Y, H:i")
