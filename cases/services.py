"""Every write to a case: opening it from its first report and moving it through its states."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation
from cases.models import Case, Report
from cases.numbering import allocate_case_number
from cases.workflow import CaseError, check_move
from notifications import realtime
from project.history import attribute_change


@dataclass(frozen=True)
class IncomingReport:
    """What any intake adapter hands over, whatever the channel."""

    channel: str
    source_id: str
    received_at: datetime = field(default_factory=timezone.now)
    sender: str = ""
    body: str = ""
    media: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def case_summary(case: Case) -> realtime.CaseSummary:
    return realtime.CaseSummary(
        number=case.number,
        status=case.status,
        channel=case.channel,
        priority=case.priority,
        created_at=case.created_at.isoformat(),
    )


def open_case(
    *, helpline: Organisation, report: IncomingReport, actor: AbstractBaseUser | None = None
) -> tuple[Case, bool]:
    """Store the report and open its numbered case in one transaction. Idempotent on the report's
    source id: a retry returns the case already opened and False."""
    if helpline.kind != Organisation.Kind.HELPLINE:
        raise CaseError(f"{helpline.name} is not a helpline and cannot hold cases.")
    try:
        with transaction.atomic():
            case = _open_case(helpline=helpline, report=report, actor=actor)
    except IntegrityError:
        # Another delivery of the same report won the race: theirs is the case.
        existing = (
            Report.objects.select_related("case")
            .filter(channel=report.channel, source_id=report.source_id)
            .first()
        )
        if existing is None:
            raise
        return existing.case, False
    return case, True


def _open_case(
    *, helpline: Organisation, report: IncomingReport, actor: AbstractBaseUser | None
) -> Case:
    case = Case(
        number=allocate_case_number(report.received_at),
        helpline=helpline,
        channel=report.channel,
        created_at=report.received_at,
    )
    attribute_change(case, actor=actor, reason=f"Opened from a {case.get_channel_display()} report")
    case.save()
    stored = Report(
        case=case,
        channel=report.channel,
        source_id=report.source_id,
        received_at=report.received_at,
        sender=report.sender,
        body=report.body,
        media=report.media,
        raw=report.raw,
    )
    attribute_change(stored, actor=actor, reason="Report received")
    stored.save()
    realtime.broadcast_on_commit(
        [realtime.helpline_group(helpline.pk)],
        realtime.CaseEvent(type="case.created", case=case_summary(case)),
    )
    return case


@transaction.atomic
def move_case(*, case: Case, to: str, actor: AbstractBaseUser, reason: str) -> Case:
    """Move a case to another state, if the state machine allows it (IllegalMoveError otherwise).
    Locks the case row, so of two people acting at once the second sees the first one's move."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    check_move(locked.status, to)
    previous = locked.status
    locked.status = to
    update_fields = ["status", "updated_at"]
    if to == Case.Status.IN_TRIAGE:
        locked.claimed_by, locked.claimed_at = actor, timezone.now()  # type: ignore[assignment]
        update_fields += ["claimed_by", "claimed_at"]
    elif previous == Case.Status.IN_TRIAGE and to == Case.Status.NEW:
        locked.claimed_by, locked.claimed_at = None, None
        update_fields += ["claimed_by", "claimed_at"]
    attribute_change(locked, actor=actor, reason=reason)
    locked.save(update_fields=update_fields)
    event_type = {Case.Status.IN_TRIAGE: "case.claimed", Case.Status.NEW: "case.released"}.get(
        to, "case.updated"
    )
    realtime.broadcast_on_commit(
        [realtime.helpline_group(locked.helpline_id)],
        realtime.CaseEvent(type=event_type, case=case_summary(locked)),  # type: ignore[typeddict-item]
    )
    return locked
