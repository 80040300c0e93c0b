"""Casework on the case itself: notes, closing (after checking with the victim), reopening, and
archiving closed cases when their time comes. Each write locks the case, checks the policy and the
state machine, and leaves history with who and why."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from cases import events
from cases.models import Case, CaseNote
from cases.moves import lock_case, move_case, organisation_of, require, write_note
from cases.policy import can_change_case, can_work_case
from cases.workflow import CaseError, check_action
from project.history import attribute_change


@transaction.atomic
def add_note(*, case: Case, actor: User, text: str, shared: bool = False) -> CaseNote:
    """A note on the case: internal to the writer's organisation unless shared with everyone
    working on the case."""
    locked = lock_case(case)
    require(can_change_case(actor, locked), locked, "You cannot write on this case.")
    return write_note(
        case=locked, actor=actor, organisation=organisation_of(actor), text=text, shared=shared
    )


class VictimCheck(models.TextChoices):
    """What the operator could find out from the victim before closing."""

    CHECKED = "checked", "I checked with the victim: they agree it can close"
    NOT_SAFE = "not_safe", "Not safe to contact the victim: closing without checking"
    UNREACHABLE = "unreachable", "Tried, but could not reach the victim safely"


@transaction.atomic
def close_case(*, case: Case, actor: User, remark: str, victim_check: str = "") -> Case:
    """The helpline closes a resolved case, after checking with the victim where that is safe."""
    locked = lock_case(case)
    require(can_work_case(actor, locked), locked, "Only the case's helpline can close it.")
    if victim_check and victim_check not in VictimCheck.values:
        raise CaseError("Say whether you checked with the victim.")
    check_action(locked.status, "close")
    label = VictimCheck(victim_check).label if victim_check else "Victim check not recorded"
    write_note(
        case=locked, actor=actor, organisation=organisation_of(actor), kind=CaseNote.Kind.CLOSING,
        text=f"{remark.strip() or 'Closed.'}\n\n{label}.",
    )  # fmt: skip
    locked.closed_at = timezone.now()
    locked.save(update_fields=["closed_at", "updated_at"])
    _close_follow_ups(locked, actor)
    closed = move_case(
        case=locked, to=Case.Status.CLOSED, actor=actor, reason="Closed", action="close"
    )
    events.case_event(case=closed, event=events.CASE_CLOSED, actor=actor)
    return closed


def _close_follow_ups(case: Case, actor: User) -> None:
    """Open follow-ups do not outlive the case (the close page lists them): once it is archived
    nobody could mark them done, and the morning digest would count them overdue for ever."""
    open_ones = case.follow_ups.select_for_update(of=("self",)).filter(done_at=None)  # type: ignore[attr-defined]
    for follow_up in open_ones.select_related("kind"):
        follow_up.done_at, follow_up.done_by = case.closed_at, actor
        attribute_change(
            follow_up,
            actor=actor,
            reason=f"Follow-up done as the case closed: {follow_up.kind.label}",
        )
        follow_up.save(update_fields=["done_at", "done_by"])


@transaction.atomic
def reopen_case(*, case: Case, actor: User, reason: str) -> Case:
    """A closed case comes back to verified, to be referred again; the reason is required."""
    locked = lock_case(case)
    require(can_work_case(actor, locked), locked, "Only the case's helpline can reopen it.")
    if not reason.strip():
        raise CaseError("Say why the case is reopened.")
    check_action(locked.status, "reopen")
    write_note(
        case=locked, actor=actor, organisation=organisation_of(actor), kind=CaseNote.Kind.REOPENED,
        text=reason,
    )  # fmt: skip
    locked.closed_at = None
    locked.save(update_fields=["closed_at", "updated_at"])
    return move_case(
        case=locked, to=Case.Status.VERIFIED, actor=actor, reason="Reopened", action="reopen"
    )


def archive_closed_cases(*, now: datetime | None = None) -> int:
    """Archive every case closed more than ARCHIVE_AFTER_DAYS ago; returns how many. Each case in
    its own transaction, rows others hold are left for the next run: safe to run twice at once."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ARCHIVE_AFTER_DAYS)
    archived = 0
    while True:
        with transaction.atomic():
            due = (
                Case.objects.select_for_update(skip_locked=True)
                .filter(status=Case.Status.CLOSED, closed_at__lte=cutoff)
                .order_by("closed_at")
                .first()
            )
            if due is None:
                return archived
            move_case(
                case=due,
                to=Case.Status.ARCHIVED,
                actor=None,
                reason=f"Archived {settings.ARCHIVE_AFTER_DAYS} days after closing",
                action="archive",
            )
            archived += 1
