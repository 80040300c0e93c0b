"""The primitives every write to a case is made of: moving it through the state machine (checked
against cases.workflow, history with who and why, the console told after commit), locking its row,
the policy's answer with the read-only rule, and a note written as part of a larger change. Used by
cases.services, cases.casework, triage and referrals."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from cases.models import Case, CaseNote
from cases.workflow import CaseError, NotAllowedError, ReadOnlyError, check_move
from notifications import realtime
from project.history import attribute_change


def case_summary(case: Case) -> realtime.CaseSummary:
    return realtime.CaseSummary(
        number=case.number,
        status=case.status,
        channel=case.channel,
        priority=case.priority,
        created_at=case.created_at.isoformat(),
        claimed_by=case.claimed_by.get_username() if case.claimed_by_id else None,
        team=case.team_id,
        sealed=case.sealed,
    )


@transaction.atomic
def move_case(
    *, case: Case, to: str, actor: AbstractBaseUser | None, reason: str, action: str | None = None
) -> Case:
    """Move a case to another state, if the state machine allows it (IllegalMoveError otherwise).
    Services name their `action` (workflow.MOVES), so it is also checked where that move may start.
    Locks the case row, so of two people acting at once the second sees the first one's move."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    check_move(locked.status, to, action)
    previous = locked.status
    locked.status = to
    update_fields = ["status", "updated_at"]
    if to == Case.Status.IN_TRIAGE:
        locked.claimed_by, locked.claimed_at = actor, timezone.now()  # type: ignore[assignment]
        locked.first_claimed_at = locked.first_claimed_at or locked.claimed_at
        update_fields += ["claimed_by", "claimed_at", "first_claimed_at"]
    elif previous == Case.Status.IN_TRIAGE and to == Case.Status.NEW:
        locked.claimed_by, locked.claimed_at = None, None
        update_fields += ["claimed_by", "claimed_at"]
    attribute_change(locked, actor=actor, reason=reason)
    locked.save(update_fields=update_fields)
    event_type = {Case.Status.IN_TRIAGE: "case.claimed", Case.Status.NEW: "case.released"}.get(
        to, "case.updated"
    )
    realtime.broadcast_case_event(
        locked.helpline_id,
        realtime.CaseEvent(type=event_type, case=case_summary(locked)),  # type: ignore[typeddict-item]
    )
    return locked


def require(allowed: bool, case: Case, message: str) -> None:
    """Archived cases are read-only to everyone (409); otherwise the policy's answer (403)."""
    if case.is_read_only:
        raise ReadOnlyError(case.number, case.status)
    if not allowed:
        raise NotAllowedError(message)


def organisation_of(actor: User) -> Organisation:
    """The acting user's organisation: the policy let them act, so they have one."""
    if actor.organisation is None:
        raise NotAllowedError("You do not belong to an organisation.")
    return actor.organisation


def lock_case(case: Case) -> Case:
    """The case row, locked for the rest of the transaction: of two people acting on one case at
    once, the second waits and then sees the first one's change."""
    return Case.objects.select_for_update(of=("self",)).select_related("claimed_by").get(pk=case.pk)


def write_note(
    *, case: Case, actor: AbstractBaseUser | None, organisation: Organisation, text: str,
    kind: str = CaseNote.Kind.NOTE, shared: bool = False,
) -> CaseNote:  # fmt: skip
    """Store a note as part of a larger change (the caller checked who may write it)."""
    text = text.strip()
    if not text:
        raise CaseError("Write the note first.")
    note = CaseNote(
        case=case, organisation=organisation, author=actor, kind=kind, shared=shared, text=text
    )
    attribute_change(note, actor=actor, reason=CaseNote.Kind(kind).label)
    note.save()
    return note
