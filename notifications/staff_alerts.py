"""Alerts to staff (DESIGN rule 6): a row per way each person gets an alert, written in the
transaction of the change it is about and delivered after commit (notifications.delivery). Their
text is a case number and neutral words, never what the case holds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from cases.workflow import CaseError
from notifications.models import AlertPreference, Notification
from notifications.outbox import queue_on_commit
from notifications.preferences import ways_for

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
    "case.high_risk": "A case of your helpline is assessed as high risk (supervisors)",
    "case.perpetrator_known": "A perpetrator is named on other open cases (supervisors)",
    "follow_up.due": "A follow-up of yours is due",
    "follow_ups.digest": "The morning list of follow-ups due",
    "outbox.failed": "A message could not be sent (supervisors)",
    "export.ready": "An export you asked for is ready to download",
    "feed.pull_failed": "A scheduled pull of a feed source failed (supervisors)",
    "feed.import_done": "A feed import you started has finished",
    "partner.webhook_failed": "A crime system could not be sent an update (supervisors)",
    "portal.duress": "A victim signed in to the portal with their duress code (supervisors)",
    "case.break_glass": "Someone opened a sealed case without being named on it (DPOs, supervisors)",
    "access.unusual": "Reading of cases by one person looks unusual (DPOs and supervisors)",
    "case.claim_idle": "A case you hold is about to go back to the queue (left idle)",
    "case.claim_returned": "A case you held went back to the queue (left idle)",
}


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
    queue_on_commit(created)
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


# Staff's own settings and messages ---------------------------------------------------------------


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
    queue_on_commit([row])
    return row
