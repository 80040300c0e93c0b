"""Casework across organisations, the app's writes in one place for its callers (views, the API,
tasks, the seed command, tests and the bench): each lives in the module of its concern and is
named here, so `referrals.services` stays the app's one door for writes as DESIGN.md lays out.

- referrals.answers: referring, accepting, declining, withdrawing, overdue referrals
- referrals.service_log: services and follow-ups, their reminders and digests
- referrals.resolution: resolving and sending back
- referrals.casework: what they share (ReferralError, alerts, settling after a referral ends)"""

from __future__ import annotations

from referrals.answers import (
    ReferralRequest,
    accept_referral,
    acceptance_deadline,
    decline_referral,
    flag_overdue_referrals,
    refer_case,
    withdraw_referral,
)
from referrals.casework import ReferralError
from referrals.resolution import resolve_case, send_back
from referrals.service_log import (
    APPOINTMENT,
    MAX_SERVICE_MINUTES,
    FollowUpEntry,
    ServiceEntry,
    add_follow_up,
    complete_follow_up,
    log_service,
    remind_due_follow_ups,
    send_follow_up_digests,
)

__all__ = [
    "APPOINTMENT",
    "MAX_SERVICE_MINUTES",
    "FollowUpEntry",
    "ReferralError",
    "ReferralRequest",
    "ServiceEntry",
    "accept_referral",
    "acceptance_deadline",
    "add_follow_up",
    "complete_follow_up",
    "decline_referral",
    "flag_overdue_referrals",
    "log_service",
    "refer_case",
    "remind_due_follow_ups",
    "resolve_case",
    "send_back",
    "send_follow_up_digests",
    "withdraw_referral",
]
