"""The case state machine (CONTRACT.md "Case numbers and states"): the one table of allowed moves."""

from __future__ import annotations

from cases.models import Case

S = Case.Status

ALLOWED_MOVES: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.IN_TRIAGE}),
    S.IN_TRIAGE: frozenset({S.NEW, S.DISCARDED, S.VERIFIED}),  # back to new = released
    S.DISCARDED: frozenset({S.NEW}),  # reinstated by a supervisor (an extension of the contract)
    S.VERIFIED: frozenset({S.REFERRED}),
    # back to verified: every referral was declined or withdrawn, so it must be referred again
    S.REFERRED: frozenset({S.IN_SERVICE, S.VERIFIED}),
    S.IN_SERVICE: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_SERVICE}),  # back to in service = sent back
    S.CLOSED: frozenset({S.ARCHIVED, S.VERIFIED}),  # back to verified = reopened
    S.ARCHIVED: frozenset(),
}


class CaseError(Exception):
    """A case action refused for a reason the person acting can see and fix. `http_status` is
    what the API answers; `details` adds fields to its JSON body."""

    http_status = 400

    @property
    def details(self) -> dict[str, object]:
        return {}


class NotAllowedError(CaseError):
    """The user may see the case but not do this to it (the API answers 403)."""

    http_status = 403


class ConflictError(CaseError):
    """Refused because of the state something is in now, e.g. a referral already answered (409)."""

    http_status = 409


class IllegalMoveError(CaseError):
    """A move the state machine forbids (the API answers 409)."""

    http_status = 409

    @property
    def details(self) -> dict[str, object]:
        return {"status": self.current}

    def __init__(self, current: str, target: str) -> None:
        self.current, self.target = current, target
        super().__init__(
            f"A case that is {S(current).label.lower()} cannot become {S(target).label.lower()}."
        )


def check_move(current: str, target: str) -> None:
    if target not in ALLOWED_MOVES[current]:
        raise IllegalMoveError(current, target)
