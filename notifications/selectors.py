"""Reads for the staff pages about messages: a user's own in-app alerts and alert settings, the
messages of a helpline that failed or were held (for its supervisors), and a case's messages with
its victim, in words. Which cases a user reaches is cases.policy's; what safe contact says is
notifications.services.contact_check's, asked here and never decided again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.sessions import verified_users
from cases.models import Case, CasePerson, Report
from cases.policy import can_see_identities, visible_cases
from notifications.models import Notification
from notifications.preferences import all_ways
from notifications.services import ALERT_KINDS, contact_check
from notifications.victim_messages import victim_of, whatsapp_address

S = Notification.Status
CHANNEL_WORDS = {
    "sms": "Text message",
    "whatsapp": "WhatsApp",
    "email": "Email",
    "in_app": "In the app",
    "portal": "Portal",
}
# How a message to a victim stands, for its icon and card: one word per state.
_STATES = {
    S.PENDING: "queued",
    S.SENDING: "queued",
    S.SENT: "sent",
    S.DELIVERED: "delivered",
    S.FAILED: "failed",
    S.SUPPRESSED: "not_sent",
}
_STATUS_WORDS = {
    S.PENDING: "Queued",
    S.SENDING: "Sending",
    S.SENT: "Sent",
    S.DELIVERED: "Delivered",
}


# The alerts socket -------------------------------------------------------------------------------


def alert_listener(session_key: str | None) -> User | None:
    """The user of this session if they may hear their own alerts now: signed in, active, past
    the second factor (accounts.sessions), in an active organisation. Read afresh every call."""
    if not session_key:
        return None
    user = verified_users([session_key]).get(session_key)
    if user is None or user.organisation is None or not user.organisation.is_active:
        return None
    return user


# A user's own alerts -----------------------------------------------------------------------------


def _alerts_of(user: AbstractBaseUser) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk, channel=Notification.Channel.IN_APP)


def list_alerts(user: AbstractBaseUser) -> QuerySet[Notification]:
    """The user's in-app alerts, unread first, then newest first."""
    unread = ExpressionWrapper(Q(read_at=None), output_field=BooleanField())
    return _alerts_of(user).order_by(unread.desc(), "-created_at", "-pk")


def count_unread_alerts(user: AbstractBaseUser) -> int:
    return _alerts_of(user).filter(read_at=None).count()


def access_alert(user: AbstractBaseUser, notification_id: int) -> Notification:
    """One of the user's own in-app alerts; anyone else's is Http404, like one that never was."""
    alert = _alerts_of(user).filter(pk=notification_id).first()
    if alert is None:
        raise Http404("No such alert.")
    return alert


def on_duty_applies(user: AbstractBaseUser) -> bool:
    """Whether the user has an on-duty switch: helpline staff, who work the queue in shifts.
    For everyone else "only while on duty" would mean never, so it is not offered to them."""
    return user.has_perm("cases.work_case")


@dataclass(frozen=True)
class AlertChoice:
    kind: str
    label: str
    email: bool
    sms: bool
    only_on_duty: bool
    chosen: bool = True  # False: their role's default, until they save their own


def alert_choices(user: AbstractBaseUser) -> list[AlertChoice]:
    """How each kind of alert reaches the user now: as they saved it, or their role's default
    (their organisation's, else Lantern's) for what they never chose."""
    ways = all_ways(user, ALERT_KINDS)
    return [
        AlertChoice(kind, label, w.email, w.sms, w.only_on_duty, chosen=chosen)
        for kind, label in ALERT_KINDS.items()
        for w, chosen in [ways[kind]]
    ]


# A helpline's outbox, for its supervisors ---------------------------------------------------------


def _supervised_helpline_id(user: AbstractBaseUser) -> int:
    """The helpline whose messages this supervisor looks after; PermissionDenied for anyone else."""
    organisation = getattr(user, "organisation", None)
    if (
        not user.has_perm("cases.supervise_case")
        or organisation is None
        or not organisation.is_active
        or organisation.kind != Organisation.Kind.HELPLINE
    ):
        raise PermissionDenied
    return organisation.pk


def _helpline_messages(user: AbstractBaseUser) -> QuerySet[Notification]:
    """Messages about the helpline's cases (to their victims) and alerts to its own staff."""
    helpline_id = _supervised_helpline_id(user)
    cases = visible_cases(user).filter(helpline_id=helpline_id).values("pk")
    return Notification.objects.filter(
        Q(case__in=cases) | Q(person=None, recipient__organisation_id=helpline_id)
    ).select_related("recipient")


def list_failed_messages(user: AbstractBaseUser) -> QuerySet[Notification]:
    return _helpline_messages(user).filter(status=S.FAILED).order_by("-created_at", "-pk")


def list_held_messages(user: AbstractBaseUser) -> QuerySet[Notification]:
    """Messages to victims that safe contact stopped, or holds until their safe hours."""
    held = Q(status=S.PENDING, not_before__gt=timezone.now())
    return (
        _helpline_messages(user)
        .filter(person__isnull=False)
        .filter(Q(status=S.SUPPRESSED) | held)
        .order_by("-created_at", "-pk")
    )


def get_message_to_retry(user: AbstractBaseUser, notification_id: int) -> Notification:
    """A message of the supervisor's helpline (Http404 otherwise); whether it can be sent again
    is notifications.services.retry's to decide."""
    row = _helpline_messages(user).filter(pk=notification_id).first()
    if row is None:
        raise Http404("No such message.")
    return row


@dataclass(frozen=True)
class OutboxRow:
    """A message as the supervisor's lists show it: never where it went or what it said."""

    notification: Notification
    to: str
    channel: str
    kind: str
    status: str


def outbox_rows(rows: Iterable[Notification]) -> list[OutboxRow]:
    now = timezone.now()
    # a page holds many rows of a few kinds: each kind's words once (a portal notice's are read
    # from its update type)
    words = cache(kind_in_words)
    return [
        OutboxRow(
            notification=row,
            to=row.recipient.get_username() if row.recipient else "Victim",
            channel=CHANNEL_WORDS.get(row.channel, row.channel),
            kind=words(row.kind),
            status=status_in_words(row, now),
        )
        for row in rows
    ]


# In words -----------------------------------------------------------------------------------------


def kind_in_words(kind: str) -> str:
    if kind in ALERT_KINDS:
        return ALERT_KINDS[kind]
    if kind == "victim.reply":
        return "Written by staff"
    if kind == "victim.sms_ack":
        return "Automatic reply to their text"
    # A portal notice ("victim.<update type code>") by its type's name, which admins edit
    # (portal.models.UpdateType; by app label: notifications sits below the portal).
    from django.apps import apps

    code = kind.removeprefix("victim.")
    found = apps.get_model("portal", "UpdateType").objects.filter(code=code).first()
    if code == kind or found is None:
        return kind
    if found.trigger == "staff":
        return f"Update sent by staff: {found.name}"
    if found.trigger == "system":
        return found.name
    return f"Automatic update: {found.name}"


def _clock(moment: datetime, now: datetime) -> str:
    """18:00 today, else 18:00 on 4 Mar: staff read it at a glance."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime(now).date():
        return local.strftime("%H:%M")
    return f"{local:%H:%M} on {local.day} {local:%b}"


def status_in_words(row: Notification, now: datetime) -> str:
    if row.channel == Notification.Channel.PORTAL and row.status == S.DELIVERED:
        return "Read in the portal" if row.read_at else "In the portal, not read yet"
    if row.status == S.SUPPRESSED:
        return f"Not sent: {row.reason}" if row.reason else "Not sent"
    if row.status == S.FAILED:
        return f"Failed: {row.last_error}" if row.last_error else "Failed"
    if row.status == S.PENDING and row.not_before is not None and row.not_before > now:
        if row.last_error:  # waiting between attempts, not for the victim's safe hours
            return f"Not sent yet: trying again at {_clock(row.not_before, now)}"
        return f"Held until {_clock(row.not_before, now)} (their safe hours)"
    return _STATUS_WORDS[S(row.status)]


# A case's messages with its victim ----------------------------------------------------------------


@dataclass(frozen=True)
class MessageEntry:
    at: datetime
    inbound: bool
    channel: str
    state: str  # received, queued, held, sent, delivered, failed or not_sent
    status: str = ""  # in words; empty for what the victim sent
    override: str = ""  # who sent it past a safe-contact refusal
    by: str = ""  # the member of staff who wrote it
    text: str = ""  # empty for those who may not read it


def victim_messages(user: AbstractBaseUser, case: Case) -> list[MessageEntry]:
    """What the victim texted in or wrote in the portal, and what was sent (or not) to them,
    oldest first. The texts only for those who may see identities. Reads the reports and people
    access_case prefetched."""
    identities = can_see_identities(user)
    victim = next(
        (link.person for link in case.people.all() if link.role == CasePerson.Role.VICTIM), None
    )
    entries = [
        MessageEntry(
            at=report.received_at,
            inbound=True,
            channel=CHANNEL_WORDS["portal"],
            state="received",
            text=report.body if identities else "",
        )
        for report in case.reports.all()
        if report.channel == Report.PORTAL
    ]
    if victim is not None and victim.phone_index:
        entries += [
            MessageEntry(
                at=report.received_at,
                inbound=True,
                channel=CHANNEL_WORDS["sms"],
                state="received",
                text=report.body if identities else "",
            )
            for report in case.reports.all()
            if report.channel == Case.Channel.SMS and report.sender_index == victim.phone_index
        ]
    now = timezone.now()
    sent = (
        Notification.objects.filter(case=case, person__isnull=False)
        .select_related("sent_by", "overridden_by")
        .order_by("created_at", "pk")
    )
    entries += [_outbound(row, now, identities=identities) for row in sent]
    entries.sort(key=lambda entry: entry.at)
    return entries


def _outbound(row: Notification, now: datetime, *, identities: bool) -> MessageEntry:
    status = status_in_words(row, now)
    override = ""
    if row.overridden_by is not None:
        # The service words it "Sent despite: <why safe contact said no>" until a retry or a
        # failure rewrites the reason; who overrode stays on the row.
        why = row.reason if row.reason.startswith("Sent despite") else "Sent despite safe contact"
        override = f"{why.rstrip('.')}, by {row.overridden_by.get_username()}"
    return MessageEntry(
        at=row.created_at,
        inbound=False,
        channel=CHANNEL_WORDS.get(row.channel, row.channel),
        state="held" if status.startswith("Held") else _STATES[S(row.status)],
        status=status,
        override=override,
        by=row.sent_by.get_username() if row.sent_by else "",
        text=_readable(row) if identities else "",
    )


# A sign-in code for the victim portal is the victim's alone: staff who could read it could sign
# in as them.
SECRET_KINDS = {
    "victim.sign_in_code": "A sign-in code for the portal (hidden: only the victim may read it)."
}


def _readable(row: Notification) -> str:
    return SECRET_KINDS.get(row.kind, row.text)


@dataclass(frozen=True)
class ContactAnswer:
    channel: str
    label: str
    allowed: bool
    words: str
    discreet: bool  # allowed, but the message must not name the organisation
    overridable: bool


def contact_answers(case: Case) -> list[ContactAnswer]:
    """What safe contact says now about writing to the case's victim, for each way staff can."""
    now = timezone.now()
    answers = []
    ways = [("sms", "Texting"), ("email", "Email")]
    # WhatsApp only where it could ever go: they wrote by WhatsApp, or named it as safe.
    prefs = getattr(victim_of(case), "contact_preferences", None) or {}
    whatsapp, wrote_at = whatsapp_address(case)
    if whatsapp or "whatsapp" in (prefs.get("channels") or []):
        ways.insert(1, ("whatsapp", "WhatsApp"))
    for channel, doing in ways:
        decision = contact_check(case, channel)
        if not decision.allowed:
            words = f"Not allowed: {decision.reason}"
        elif decision.not_before is not None:
            words = f"Allowed from {_clock(decision.not_before, now)} (their safe hours)"
        else:
            words = f"{doing} is allowed now"
        if decision.allowed and channel == "whatsapp" and wrote_at is not None:
            # WhatsApp's window closes a fixed time after their last message: staff see when.
            closes = wrote_at + timedelta(hours=settings.WHATSAPP_SESSION_HOURS)
            words += f", until {_clock(closes, now)} (WhatsApp's window after their message)"
        answers.append(
            ContactAnswer(
                channel=channel,
                label=CHANNEL_WORDS[channel],
                allowed=decision.allowed,
                words=words,
                discreet=decision.allowed and decision.discreet,
                overridable=decision.overridable,
            )
        )
    return answers
