"""The outbox (DESIGN rule 6): every message to a person, staff or victim, is a row written in the
transaction of the change that caused it and delivered by Celery after commit. Messages to victims
pass the safe-contact function (rule 7) when queued and again when sent.

Delivery is at most once: a conditional update claims a row before it is sent, and a send whose
outcome is unknown (the worker died while the provider had it) is never repeated by itself. What
failed for a passing reason is tried again with growing waits, the state kept in the row, not in
the broker, so a Redis loss loses nothing."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.workflow import CaseError, ConflictError, NotAllowedError
from notifications import realtime, safe_contact, transports
from notifications.models import (
    REVEALING_WORDS,
    AlertPreference,
    MessageTemplate,
    Notification,
    SmsKeyword,
    names_an_organisation,
)
from notifications.preferences import ways_for
from project.crypto import blind_index

logger = logging.getLogger(__name__)

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
START_WORDS = frozenset({"start", "yes", "unstop"})
S = Notification.Status

# The alerts staff can choose to get by email or SMS too (always in the app). Their text is a
# case number and neutral words; the email or text adds a link to the case, nothing more.
ALERT_KINDS: dict[str, str] = {
    "case.new": "A new report reaches the queue (while on duty)",
    "case.message_received": "The victim writes on a case you hold or work a referral of",
    "case.assigned": "A case is handed to you",
    "queue.sla_breach": "A report waits past its target time (supervisors)",
    "referral.received": "A referral to you or your organisation",
    "referral.accepted": "A referral you made is accepted",
    "referral.declined": "A referral you made is declined",
    "referral.withdrawn": "A referral to you is withdrawn",
    "referral.overdue": "A referral is not answered by its deadline",
    "case.resolved": "A case you hold is resolved and can be closed",
    "case.sent_back": "A case is sent back to you",
    "follow_up.due": "A follow-up of yours is due",
    "follow_ups.digest": "The morning list of follow-ups due",
    "outbox.failed": "A message could not be sent (supervisors)",
    "export.ready": "An export you asked for is ready to download",
}


# Staff --------------------------------------------------------------------------------------------


def notify_staff(
    *, users: Iterable[AbstractBaseUser], kind: str, case_number: str, text: str
) -> list[Notification]:
    """Queue an alert to each user: in the app always, and by email or SMS as they chose for this
    kind or, if they never chose, as their role's default says (notifications.preferences); only
    while on duty, if so. Must run inside the transaction of the change it is about: the rows
    commit with it, and delivery is queued only once it has committed. At most three queries
    whoever is told: intake calls this in the webhook's own transaction."""
    people = {user.pk: user for user in users if user is not None and user.is_active}
    if not people:
        return []
    wanted = {
        pk: ways for pk, ways in ways_for(people.values(), kind).items() if ways.beyond_the_app
    }
    linked = _with_link(text, case_number)
    subject = f"Lantern: {ALERT_KINDS.get(kind, 'an alert')}"
    rows = []
    for user in people.values():
        rows.append(Notification(recipient=user, channel="in_app", kind=kind, text=text))
        preference = wanted.get(user.pk)
        if preference is None or (preference.only_on_duty and not user.on_duty):
            continue
        if preference.email and user.email:
            rows.append(
                Notification(recipient=user, channel="email", kind=kind, text=linked,
                             subject=subject, destination=user.email)
            )  # fmt: skip
        if preference.sms and user.phone:
            rows.append(
                Notification(recipient=user, channel="sms", kind=kind, text=linked,
                             destination=str(user.phone))
            )  # fmt: skip
    for row in rows:
        row.case_number = case_number
    created = Notification.objects.bulk_create(rows)
    _queue_on_commit(created)
    return created


def victim_wrote(*, case: Any) -> list[Notification]:
    """The victim wrote again on an open case: tell whoever is working it. Its holder, and for each
    live referral (pending or accepted) its assignee or, with none, the receiving organisation's
    representatives. In the app, and by email or SMS as each chose; never what they wrote."""
    from accounts.selectors import staff_with
    from cases.policy import REFERRAL_STATUSES_GRANTING_ACCESS

    users = [case.claimed_by] if case.claimed_by_id else []
    live = case.referrals.filter(status__in=REFERRAL_STATUSES_GRANTING_ACCESS).select_related(
        "assignee"
    )
    for referral in live:
        if referral.assignee_id:
            users.append(referral.assignee)
        else:
            users += staff_with(referral.organisation_id, "referrals.respond_referral")
    return notify_staff(
        users=users,
        kind="case.message_received",
        case_number=case.number,
        text=f"New message on case {case.number}",
    )


def _with_link(text: str, case_number: str) -> str:
    """A staff email or text: the alert and where to read the case, signed in. Nothing else."""
    if not case_number:
        return f"{text}\n{settings.PUBLIC_BASE_URL}/"
    return f"{text}\n{settings.PUBLIC_BASE_URL}/cases/{case_number}/"


# Victims ------------------------------------------------------------------------------------------


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
) -> Notification:
    """Queue a message to the victim of a case, or keep it as suppressed with the reason, as the
    safe-contact function decides. Must run inside the transaction of the change it is about.
    Whether it is an automatic update and whether it names an organisation are stored on the row,
    so the check when it is sent asks the same question as the one now."""
    person = victim_of(case)
    named = names_organisation or _names_an_organisation(case, f"{text} {subject}")
    decision, destination = _decide(
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
    if decision.allowed:
        row.not_before = decision.not_before
    elif override is not None:
        _apply_override(row, case, decision, override)
    else:
        row.status, row.reason = S.SUPPRESSED, decision.reason
    row.save()
    if row.status == S.PENDING and row.not_before is None:
        _queue_on_commit([row])
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
NAMES_ORG_REASON = "The message names an organisation, and the victim asked us not to."


def victim_of(case: Any) -> Any:
    link = case.people.select_related("person").filter(role="victim").first()
    return link.person if link else None


def _decide(
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
    if person is not None:
        destination = prefs.get("email", "") if channel == "email" else person.phone
    decision = safe_contact.decide(
        prefs,
        channel,
        now=now,
        has_address=bool(destination),
        texted_stop=bool(destination) and channel == "sms" and sms_opted_out(destination),
        victim_wrote_at=_last_message_from(case, destination) if channel == "sms" else None,
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


def _names_an_organisation(case: Any, text: str) -> bool:
    """Whether the words name the case's helpline or an organisation it was referred to, or say
    "helpline" (templates are marked against every organisation when saved)."""
    from accounts.models import Organisation

    words = text.casefold()
    names = Organisation.objects.filter(
        Q(pk=case.helpline_id) | Q(referrals__case=case)
    ).values_list("name", flat=True)
    return any(name.casefold() in words for name in [*names, *REVEALING_WORDS] if name)


def victim_milestone(
    *, case: Any, milestone: str, when: datetime | None = None
) -> Notification | None:
    """An automatic update at a milestone, in the victim's language, by the first way they said
    is safe. Nothing at all for a victim who did not ask for updates (or has no victim yet): that
    is no message anyone tried to send. Anything else the safe-contact function refuses is kept
    as suppressed, with the reason."""
    person = victim_of(case)
    if person is None:
        return None
    prefs = person.contact_preferences or {}
    channel = next((c for c in ("sms", "email") if c in (prefs.get("channels") or [])), "sms")
    template = _template(milestone, prefs.get("language") or "en", channel)
    if template is None:
        return None
    text = template.text.replace(
        "{when}", timezone.localtime(when).strftime("%-d %b %H:%M") if when else ""
    )
    decision, _ = _decide(
        case,
        person,
        channel,
        automated=True,
        names_organisation=template.names_organisation,
        text=text,
    )
    if decision.code == "no_updates":
        return None
    return message_victim(
        case=case,
        channel=channel,
        text=text,
        kind=f"victim.{milestone}",
        automated=True,
        names_organisation=template.names_organisation,
        subject=template.subject,
    )


def mark_templates() -> int:
    """Mark again which templates name an organisation (after one is added or renamed); returns
    how many marks changed. An update, not a save: the words did not change, so no history row."""
    changed = 0
    for template in MessageTemplate.objects.only("pk", "text", "subject", "names_organisation"):
        named = names_an_organisation(template.text, template.subject)
        if named != template.names_organisation:
            changed += MessageTemplate.objects.filter(pk=template.pk).update(
                names_organisation=named
            )
    return changed


def _template(milestone: str, language: str, channel: str) -> MessageTemplate | None:
    found = MessageTemplate.objects.filter(milestone=milestone, channel=channel, is_active=True)
    return found.filter(language=language).first() or found.filter(language="en").first()


# Delivery -----------------------------------------------------------------------------------------


def _queue_on_commit(rows: Iterable[Notification]) -> None:
    for row in rows:
        transaction.on_commit(lambda pk=row.pk: queue_delivery(pk), robust=True)


def queue_delivery(notification_id: int) -> None:
    """Hand a row to Celery. If the broker cannot take it, the row stays pending and the sweeper
    queues it again later: nothing is lost and the request that caused it is not held up."""
    from kombu.exceptions import OperationalError as BrokerError

    from notifications.tasks import deliver_notification

    # Redis just failed: don't wait on it again, the sweeper will queue (tasks run in-process, as
    # when embedded, need no Redis)
    if realtime.sends_paused() and not settings.CELERY_TASK_ALWAYS_EAGER:
        logger.info("outbox_publish_deferred", extra={"notification_id": notification_id})
        return
    try:
        deliver_notification.delay(notification_id)
    except BrokerError:  # Redis hung or down (kombu wraps its errors): one wait, then none
        realtime.pause_sends()
        logger.warning("outbox_publish_failed", extra={"notification_id": notification_id})
    except Exception:  # the broker refused: the sweeper will retry
        logger.warning("outbox_publish_failed", extra={"notification_id": notification_id})


def deliver(*, notification_id: int) -> bool:
    """Deliver one row, at most once: a conditional update claims it, so two workers (or a sweep
    and a late original) never both send. Returns whether this call sent it."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        Q(not_before=None) | Q(not_before__lte=now),
        pk=notification_id,
        status=S.PENDING,
    ).update(status=S.SENDING, sent_at=now)
    if not claimed:
        return False
    row = Notification.objects.select_related("case", "person").get(pk=notification_id)
    row.attempts += 1
    if row.to_victim:
        # Preferences may have changed since it was queued (a STOP, "do not contact", an address
        # removed). What the message is was decided when it was queued and is read from the row,
        # never its kind. A supervisor's override lifts the refusals it may lift, whenever they
        # were recorded; never a STOP or a missing address, which are asked again here too.
        decision, destination = _decide(
            row.case,
            row.person,
            row.channel,
            automated=row.automated,
            names_organisation=row.names_organisation,
            text=f"{row.text} {row.subject}",
        )
        if not decision.allowed and row.overridden_by_id and decision.overridable:
            decision = safe_contact.Decision(allowed=True)
        if not decision.allowed or decision.not_before is not None:
            if decision.allowed:  # outside their safe hours now: wait for the window
                row.status, row.not_before = S.PENDING, decision.not_before
                # An earlier passing error no longer explains the wait (the lists read a wait
                # with an error as "trying again", one without as held for their safe hours).
                row.last_error = ""
            else:
                row.status, row.reason = S.SUPPRESSED, decision.reason
            row.save(update_fields=["status", "reason", "not_before", "attempts", "last_error"])
            return False
        row.destination = destination
    try:
        row.provider_id = transports.send(row)
    except transports.TransientError as exc:
        _failed_for_now(row, str(exc))
        return False
    except transports.PermanentError as exc:
        _failed(row, str(exc))
        return False
    except transports.OutcomeUnknownError as exc:
        # The provider may have it: left `sending` for its delivery report to settle or, failing
        # that, the sweeper to mark for a person to check. Never sent again by itself.
        row.last_error = str(exc)[:500]
        row.save(update_fields=["last_error", "attempts", "destination"])
        return False
    row.save(update_fields=["provider_id", "attempts", "destination"])
    # Conditional: a delivery report can overtake the provider's answer, and must not be undone.
    Notification.objects.filter(pk=row.pk, status=S.SENDING).update(
        status=S.SENT, sent_at=timezone.now()
    )
    return True


def _failed_for_now(row: Notification, error: str) -> None:
    if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _failed(row, error)
        return
    wait = settings.OUTBOX_RETRY_SECONDS * 2 ** (row.attempts - 1)
    row.status, row.last_error = S.PENDING, error[:500]
    row.not_before = timezone.now() + timedelta(seconds=wait)  # the sweeper sends it then
    row.save(update_fields=["status", "last_error", "not_before", "attempts"])


FAILED_REASON = "Could not be sent: see the error, then retry or contact them another way."


def _failed(row: Notification, error: str) -> None:
    row.status, row.last_error = S.FAILED, error[:500]
    row.reason = FAILED_REASON
    row.save(update_fields=["status", "last_error", "reason", "attempts"])
    if row.to_victim:
        _tell_supervisors_about(row)


def _tell_supervisors_about(row: Notification) -> None:
    from accounts.selectors import staff_with

    with transaction.atomic():
        notify_staff(
            users=staff_with(row.case.helpline_id, "cases.supervise_case"),
            kind="outbox.failed",
            case_number=row.case_number,
            text=f"A message to the victim of {row.case_number} could not be sent",
        )


def sweep_outbox() -> int:
    """Queue again every row still pending after OUTBOX_SWEEP_AFTER_SECONDS, or whose wait (safe
    hours, a retry) is over; mark sends stuck past OUTBOX_UNKNOWN_AFTER_SECONDS as failed with an
    unknown outcome (never re-sent by themselves). Returns how many were queued."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)
    due = list(
        Notification.objects.filter(status=S.PENDING)
        .filter(Q(not_before=None, created_at__lt=cutoff) | Q(not_before__lte=now))
        .values_list("pk", flat=True)[:500]
    )
    for pk in due:
        queue_delivery(pk)
    unknown = now - timedelta(seconds=settings.OUTBOX_UNKNOWN_AFTER_SECONDS)
    for row in Notification.objects.filter(status=S.SENDING, sent_at__lt=unknown).select_related(
        "case"
    ):
        # Only if still sending: a delivery report that just settled it wins.
        if (
            Notification.objects.filter(pk=row.pk, status=S.SENDING).update(
                status=S.FAILED,
                last_error="The outcome is unknown: the provider had it and never answered, or the "
                "sender stopped. Check with the provider before sending again.",
                reason=FAILED_REASON,
            )
            and row.to_victim
        ):
            _tell_supervisors_about(row)
    return len(due)


def record_delivery(*, key: str, provider_id: str, status: str) -> None:
    """A provider's delivery report: matched by the row's key (in the report's address) or its
    provider id. A late or repeated report never moves a row backwards."""
    match = Q(provider_id=provider_id) if provider_id else Q(pk__in=[])
    with suppress(ValueError):  # a key that is no key: matched by the provider id alone
        match |= Q(idempotency_key=uuid.UUID(key))
    row = Notification.objects.filter(match).first()
    if row is None:
        return
    if status == "delivered":
        Notification.objects.filter(pk=row.pk).exclude(status=S.DELIVERED).update(
            status=S.DELIVERED,
            delivered_at=timezone.now(),
            provider_id=provider_id or row.provider_id,
        )
    elif status in ("failed", "undelivered"):
        failed = (
            Notification.objects.filter(pk=row.pk)
            .exclude(status__in=[S.DELIVERED, S.FAILED])
            .update(
                status=S.FAILED,
                last_error=f"The provider reported {status}",
                reason=FAILED_REASON,
                provider_id=provider_id or row.provider_id,
            )
        )
        if failed and row.to_victim:
            _tell_supervisors_about(row)
    elif status in ("sent", "queued", "accepted", "sending"):
        # The provider has it: a send whose outcome we did not know did reach it. A row the
        # provider itself reported failed has its sid, and a late "sent" must not hide that.
        Notification.objects.filter(
            Q(status=S.SENDING) | Q(status=S.FAILED, provider_id=""), pk=row.pk
        ).update(status=S.SENT, provider_id=provider_id or row.provider_id)


@transaction.atomic
def retry(*, notification: Notification, actor: AbstractBaseUser) -> Notification:
    """A supervisor sends a failed message again (safe contact is asked again when it goes)."""
    row = Notification.objects.select_for_update().get(pk=notification.pk)
    if row.status != S.FAILED:
        return row
    row.status, row.not_before = S.PENDING, None
    row.reason = f"Retried by {actor.get_username()}"
    row.save(update_fields=["status", "not_before", "reason"])
    _queue_on_commit([row])
    return row


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


# Staff acting -------------------------------------------------------------------------------------


@transaction.atomic
def reply_to_victim(
    *, case: Any, actor: AbstractBaseUser, channel: str, text: str, override_reason: str = ""
) -> Notification:
    """A member of staff writes to the victim from the case page. Whoever works on the case may;
    the safe-contact function decides whether it goes, and a supervisor may send past a refusal
    with a reason."""
    from cases.policy import can_change_case
    from cases.services import lock_case, require

    locked = lock_case(case)
    require(can_change_case(actor, locked), locked, "You cannot write to this case's victim.")
    text = text.strip()
    if not text:
        raise CaseError("Write the message first.")
    if channel not in (Notification.Channel.SMS, Notification.Channel.EMAIL):
        raise CaseError("Choose text message or email.")
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
    return _decide(case, victim_of(case), channel, automated=False, text=text)[0]


@transaction.atomic
def set_alert_preferences(
    *, user: AbstractBaseUser, choices: dict[str, tuple[bool, bool, bool]]
) -> None:
    """Save which alerts reach the user by email and SMS: kind -> (email, sms, only on duty)."""
    for kind, (email, sms, only_on_duty) in choices.items():
        if kind not in ALERT_KINDS:
            raise CaseError(f"There is no alert called {kind!r}.")
        AlertPreference.objects.update_or_create(
            user=user,
            kind=kind,
            defaults={"email": email, "sms": sms, "only_on_duty": only_on_duty},
        )


def sms_acknowledgement(*, case: Any, sender: str) -> str:
    """The reply to an inbound text (settings.SMS_ACK_TEXT, off by default), put in Twilio's answer
    if the safe-contact function lets it go to that phone now: they just wrote, which "only if I
    contact you first" allows; a STOP, "do not contact" or no recorded preferences do not. Kept
    in the outbox either way, as sent or as suppressed with the reason."""
    if not settings.SMS_ACK_TEXT:
        return ""
    now = timezone.now()
    person = victim_of(case)
    decision = safe_contact.decide(
        (person.contact_preferences if person else None) or {},
        "sms",
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
        channel="sms",
        kind="victim.sms_ack",
        text=settings.SMS_ACK_TEXT,
        destination=sender,
        names_organisation=named,
        status=S.SENT if goes else S.SUPPRESSED,
        reason="" if goes else decision.reason or "Outside the victim's safe hours.",
        sent_at=now if goes else None,
    )
    return settings.SMS_ACK_TEXT if goes else ""


def mark_alerts_read(
    *, user: AbstractBaseUser, notification_ids: Iterable[int] | None = None
) -> int:
    """Mark the user's unread in-app alerts read: these ones, or all. Only their own: anyone
    else's ids are ignored. Returns how many changed."""
    unread = Notification.objects.filter(
        recipient=user, channel=Notification.Channel.IN_APP, read_at=None
    )
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    # Notification keeps no history rows, so a bulk update skips nothing.
    return unread.update(read_at=timezone.now())


@transaction.atomic
def email_staff(
    *, user: AbstractBaseUser, kind: str, subject: str, text: str
) -> Notification | None:
    """An email to one member of staff about their own account (a password-reset link): no in-app
    copy and no alert settings, but sent, retried and recorded by the worker like every message."""
    if not user.is_active or not getattr(user, "email", ""):
        return None
    row = Notification.objects.create(
        recipient=user,
        channel=Notification.Channel.EMAIL,
        kind=kind,
        subject=subject,
        text=text,
        destination=user.email,
    )
    _queue_on_commit([row])
    return row
