"""The outbox (DESIGN rule 6): every message to a person, staff or victim, is a row written in the
transaction of the change that caused it and delivered by Celery after commit. Messages to victims
pass the safe-contact function (rule 7) when queued and again when sent.

This is the one entry point other apps write through; the work is done in
- notifications.staff_alerts: alerts to staff (in the app, and by email or SMS as they chose),
- notifications.victim_messages: messages to victims, queued or suppressed by safe contact,
- notifications.outbox: the hand-off of committed rows to Celery,
- notifications.delivery: sending, retrying, sweeping and delivery reports.
Only the first two write Notification rows (tests/test_architecture.py)."""

from __future__ import annotations

from notifications.delivery import (
    FAILED_REASON,
    deliver,
    record_delivery,
    retry,
    sweep_outbox,
)
from notifications.outbox import queue_delivery
from notifications.staff_alerts import (
    ALERT_KINDS,
    email_staff,
    mark_alerts_read,
    notify_staff,
    set_alert_preferences,
    victim_wrote,
)
from notifications.victim_messages import (
    NAMES_ORG_REASON,
    NEUTRAL_SUBJECT,
    START_WORDS,
    STOP_WORDS,
    Override,
    contact_check,
    message_victim,
    record_sms_keyword,
    reply_to_victim,
    sms_acknowledgement,
    sms_keyword,
    sms_opted_out,
    victim_of,
)

__all__ = [
    "ALERT_KINDS",
    "FAILED_REASON",
    "NAMES_ORG_REASON",
    "NEUTRAL_SUBJECT",
    "START_WORDS",
    "STOP_WORDS",
    "Override",
    "contact_check",
    "deliver",
    "email_staff",
    "mark_alerts_read",
    "message_victim",
    "notify_staff",
    "queue_delivery",
    "record_delivery",
    "record_sms_keyword",
    "reply_to_victim",
    "retry",
    "set_alert_preferences",
    "sms_acknowledgement",
    "sms_keyword",
    "sms_opted_out",
    "sweep_outbox",
    "victim_of",
    "victim_wrote",
]
