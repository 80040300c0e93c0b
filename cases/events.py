"""The case events a victim may be told of (cases.signals.case_event), by code: what an admin
picks as the trigger of an update message type (portal.models.UpdateType). Sent by the service
that makes the change, inside its transaction."""

from __future__ import annotations

from typing import Any

from cases import signals

REPORT_RECEIVED = "report_received"
CASE_TAKEN_ON = "case_taken_on"  # verified
REFERRAL_ACCEPTED = "referral_accepted"
APPOINTMENT = "appointment"
CASE_RESOLVED = "case_resolved"
CASE_CLOSED = "case_closed"

CASE_EVENTS = {
    REPORT_RECEIVED: "Report received",
    CASE_TAKEN_ON: "Case taken on (verified)",
    REFERRAL_ACCEPTED: "Referred and accepted",
    APPOINTMENT: "Appointment set",
    CASE_RESOLVED: "Case resolved",
    CASE_CLOSED: "Case closed",
}
CASE, PARTNER = "case", "partner"


def case_event(*, case: Any, event: str, when: Any = None, actor: Any = None) -> None:
    """Tell the apps above that `event` happened on `case` (in the caller's transaction)."""
    signals.case_event.send(
        sender=type(case), case=case, event=event, source=CASE, when=when, actor=actor
    )


def partner_event(*, case: Any, event: str, actor: Any = None) -> None:
    """A partner's crime system sent an event of type `event` (its code) about `case`."""
    signals.case_event.send(
        sender=type(case), case=case, event=event, source=PARTNER, when=None, actor=actor
    )
