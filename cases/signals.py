"""What cases tells the apps above it, without importing them (imports run one way: DESIGN.md).
Sent inside the transaction of the change, so what a receiver writes commits or rolls back with
it; anything that leaves the process (alerts, pushes) still goes after commit, through the outbox
and notifications.realtime."""

from __future__ import annotations

from django.dispatch import Signal

# A report from the victim (an SMS, or any other) joined an open case. Arguments: case, report.
report_added = Signal()

# Something happened on a case that the victim may be told of (cases.events names them): the
# portal turns it into the updates admins defined for it. Arguments: case, event (a code from
# cases.events, or a partner event type's code), source ("case" | "partner"), when (the moment
# the update is about, e.g. an appointment; or None), actor (who did it; None for Lantern).
case_event = Signal()
