"""The case state machine (CONTRACT.md "Case numbers and states"): the one table of allowed moves."""

from __future__ import annotations

from typing import NamedTuple

from cases.models import Case

S = Case.Status


class Move(NamedTuple):
    """A named move: the only states it may start from, the state it reaches, and how a refusal
    reads ("A case that is new cannot be released.")."""

    sources: frozenset[str]
    target: str
    done: str


# Every service names the move it makes, so a move is checked against where it may start, not
# only where it ends: several moves reach `verified` or `new`, and a reopen of a referred case
# (which reaches `verified` too) would otherwise pass.
MOVES: dict[str, Move] = {
    "claim": Move(frozenset({S.NEW}), S.IN_TRIAGE, "claimed"),
    "release": Move(frozenset({S.IN_TRIAGE}), S.NEW, "released"),
    "verify": Move(frozenset({S.IN_TRIAGE}), S.VERIFIED, "verified"),
    "discard": Move(frozenset({S.IN_TRIAGE}), S.DISCARDED, "discarded"),
    # reinstated by a supervisor (an extension of the contract)
    "reinstate": Move(frozenset({S.DISCARDED}), S.NEW, "reinstated"),
    "refer": Move(frozenset({S.VERIFIED}), S.REFERRED, "referred"),
    # every referral was declined or withdrawn, so it must be referred again
    "refer_again": Move(frozenset({S.REFERRED}), S.VERIFIED, "sent back to be referred again"),
    "accept": Move(frozenset({S.REFERRED}), S.IN_SERVICE, "taken into service"),
    "resolve": Move(frozenset({S.IN_SERVICE}), S.RESOLVED, "resolved"),
    "send_back": Move(frozenset({S.RESOLVED}), S.IN_SERVICE, "sent back"),
    "close": Move(frozenset({S.RESOLVED}), S.CLOSED, "closed"),
    "reopen": Move(frozenset({S.CLOSED}), S.VERIFIED, "reopened"),
    "archive": Move(frozenset({S.CLOSED}), S.ARCHIVED, "archived"),
    # joined into another case (cases.merging); a supervisor's unmerge puts back the status the
    # merge recorded, so it is not a fixed move of this table
    "merge": Move(
        frozenset({S.NEW, S.IN_TRIAGE, S.VERIFIED, S.REFERRED, S.IN_SERVICE, S.RESOLVED, S.CLOSED}),
        S.MERGED,
        "merged",
    ),
}

# Work done on a case without moving it, and the only states it may be done in; outside them the
# refusal is a 409 with the case's status, like a forbidden move.
WORK: dict[str, Move] = {
    # from verified it is the move "refer"; once referred or in service, a further organisation
    "refer": Move(frozenset({S.VERIFIED, S.REFERRED, S.IN_SERVICE}), "", "referred"),
    # a resolved case may still get a follow-up call from the helpline before it closes
    "serve": Move(
        frozenset({S.VERIFIED, S.REFERRED, S.IN_SERVICE, S.RESOLVED}), "", "given services"
    ),
    "follow_up": Move(
        frozenset({S.VERIFIED, S.REFERRED, S.IN_SERVICE, S.RESOLVED}), "", "given follow-ups"
    ),
}

ALLOWED_MOVES: dict[str, frozenset[str]] = {
    status: frozenset(move.target for move in MOVES.values() if status in move.sources)
    for status in S.values
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


class ReadOnlyError(ConflictError):
    """An archived case is read-only to everyone (409 with its status)."""

    @property
    def details(self) -> dict[str, object]:
        return {"status": self.status}

    def __init__(self, number: str, status: str) -> None:
        self.status = status
        super().__init__(f"{number} is {S(status).label.lower()}: it can be read, not changed.")


class IllegalMoveError(ConflictError):
    """A move (or work, WORK) the state machine forbids: 409 with the case's status."""

    @property
    def details(self) -> dict[str, object]:
        return {"status": self.current}

    def __init__(self, current: str, target: str, done: str = "") -> None:
        self.current, self.target = current, target
        status = S(current).label.lower()
        super().__init__(
            f"A case that is {status} cannot be {done}."
            if done
            else f"A case that is {status} cannot become {S(target).label.lower()}."
        )


def check_move(current: str, target: str, action: str | None = None) -> None:
    """Refuse (IllegalMoveError) a move the table does not allow; with the move's name, also one
    that does not start where that move may start."""
    if action is not None:
        move = MOVES[action]
        if move.target != target:
            raise ValueError(f"{action} reaches {move.target}, not {target}")
        if current not in move.sources:
            raise IllegalMoveError(current, target, move.done)
    elif target not in ALLOWED_MOVES[current]:
        raise IllegalMoveError(current, target)


def check_action(current: str, action: str) -> None:
    check_move(current, MOVES[action].target, action)


def check_work(current: str, action: str) -> None:
    """Refuse (IllegalMoveError, 409 with the status) work the case's state does not take."""
    work = WORK[action]
    if current not in work.sources:
        raise IllegalMoveError(current, current, work.done)
