"""What cases tells the apps above it, without importing them (imports run one way: DESIGN.md).
Sent inside the transaction of the change, so what a receiver writes commits or rolls back with
it; anything that leaves the process (alerts, pushes) still goes after commit, through the outbox
and notifications.realtime."""

from __future__ import annotations

from django.dispatch import Signal

# A report from the victim (an SMS, or any other) joined an open case. Arguments: case, report.
report_added = Signal()
