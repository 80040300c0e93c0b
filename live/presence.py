"""Operators' states (UX.md 6, 8): the one way to change them, and who may be rung or offered a
chat. Busy while on a call or chat, then wrap-up for the helpline's wrap-up time, then available;
away when they say so, go off duty or sign out. Every change is pushed to the helpline's consoles
after commit, so supervisors see states live and the operator's own switch follows.

Duty and state: routing needs both on duty (User.on_duty, the shift) and available (this moment).
Going available puts an operator on duty; going off duty makes them away; going away keeps them on
duty (a break in the shift: alerts "only while on duty" still reach them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, TypedDict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.services import set_on_duty
from live.models import LineSettings, OperatorState
from notifications import realtime

State = OperatorState.State

# What an operator may choose on the switch; busy and wrap-up are Lantern's to set.
CHOOSABLE = (State.AVAILABLE, State.AWAY)
STAFF_ROLES = (User.Role.OPERATOR, User.Role.SUPERVISOR)


class PresenceError(Exception):
    """A change of state refused for a reason the operator can see (409)."""

    http_status = 409


class OperatorSummary(TypedDict):
    id: int
    username: str
    state: str
    since: str
    until: str | None  # the end of wrap-up
    activity: str


class OperatorStateEvent(TypedDict):
    type: Literal["operator.state"]
    operator: OperatorSummary


def line_settings(helpline_id: int) -> LineSettings:
    """The helpline's ringing and wrap-up settings (its defaults when none are saved)."""
    found = LineSettings.objects.filter(helpline_id=helpline_id).first()
    return found or LineSettings(helpline_id=helpline_id)


def effective(row: OperatorState | None, now: datetime) -> str:
    """The state as routing reads it: no row is away; a wrap-up that ran out is available (the
    periodic job, live.tasks.end_wrap_ups, writes that down within seconds; readers never wait for it)."""
    if row is None:
        return State.AWAY
    if row.state == State.WRAP_UP and row.until is not None and row.until <= now:
        return State.AVAILABLE
    return row.state


def shown(user: User, row: OperatorState | None, now: datetime) -> str:
    """The state the switch and the team view show: as routing reads it, and away while off duty
    (routing never rings someone off duty, whatever their row says; a call in progress stays busy)."""
    state = effective(row, now)
    if not user.on_duty and state in (State.AVAILABLE, State.WRAP_UP):
        return State.AWAY
    return state


def state_of(user: User, *, now: datetime | None = None) -> str:
    """The operator's state as routing treats it: a run-out wrap-up is available, and someone off
    duty is away (chat and calls may ask this of one person; available_operators asks it of all)."""
    # on duty as stored now, not as the caller's copy of the user says
    row = OperatorState.objects.filter(user=user).select_related("user").first()
    return shown(row.user, row, now or timezone.now()) if row else State.AWAY


def summary(user: User, row: OperatorState | None, now: datetime) -> OperatorSummary:
    state = shown(user, row, now)
    if row is None:
        return OperatorSummary(
            id=user.pk, username=user.get_username(), state=state, since="", until=None, activity=""
        )
    ran_out = state != row.state
    return OperatorSummary(
        id=user.pk,
        username=user.get_username(),
        state=state,
        since=(row.until if ran_out and row.until else row.since).isoformat(),
        until=None if ran_out or row.until is None else row.until.isoformat(),
        activity="" if ran_out else row.activity,
    )


def _locked_row(user: User) -> OperatorState:
    """The operator's row, created away if missing, locked to the end of the transaction: two
    changes at once (a call answered while the operator presses Away) apply one after the other."""
    OperatorState.objects.get_or_create(user=user)
    return OperatorState.objects.select_for_update().get(user=user)


@transaction.atomic
def set_state(
    *,
    user: User,
    state: str,
    activity: str = "",
    case: Any = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> OperatorState:
    """Put the operator in `state` (locking their row, so two changes at once apply one after
    the other) and tell their helpline's consoles after commit."""
    if state not in State.values:
        raise ValueError(f"Unknown operator state {state!r}.")
    now = now or timezone.now()
    row = _locked_row(user)
    row.state, row.since, row.until = state, now, until
    row.activity = activity if state in (State.BUSY, State.WRAP_UP) else ""
    row.case = case if state in (State.BUSY, State.WRAP_UP) else None
    row.save()
    _push(user, row, now)
    return row


def _push(user: User, row: OperatorState, now: datetime) -> None:
    if user.organisation_id is None:
        return
    event = OperatorStateEvent(type="operator.state", operator=summary(user, row, now))
    group = realtime.helpline_group(user.organisation_id)
    transaction.on_commit(lambda: realtime.broadcast([group], event), robust=True)  # type: ignore[arg-type]


def start_conversation(*, user: User, activity: str, case: Any) -> OperatorState:
    """The operator answered a call or took a chat: busy with it."""
    return set_state(user=user, state=State.BUSY, activity=activity, case=case)


@transaction.atomic
def end_conversation(*, user: User, now: datetime | None = None) -> OperatorState:
    """The call or chat ended: wrap-up for the helpline's wrap-up time, keeping its activity and
    case. An operator who went away meanwhile stays away. Decided under the row's lock, so an Away
    pressed at the same moment is never overwritten by the wrap-up."""
    now = now or timezone.now()
    row = _locked_row(user)
    if row.state == State.AWAY:
        return row
    seconds = line_settings(user.organisation_id).wrap_up_seconds if user.organisation_id else 0
    return set_state(
        user=user,
        state=State.WRAP_UP,
        activity=row.activity,
        case=row.case,
        until=now + timedelta(seconds=seconds),
        now=now,
    )


@transaction.atomic
def choose_state(*, user: User, state: str, now: datetime | None = None) -> OperatorState:
    """The operator's own switch: Available (also "Ready", ending wrap-up early) or Away. Going
    available puts them on duty. Busy is refused a change to available: it ends with the call or
    chat; Away is always allowed (the way out of a call whose end never reached Lantern)."""
    if state not in CHOOSABLE:
        raise PresenceError("Choose Available or Away: Lantern sets Busy and Wrap-up itself.")
    now = now or timezone.now()
    row = _locked_row(user)
    current = effective(row, now)
    if state == State.AVAILABLE and current == State.BUSY:
        raise PresenceError(
            "You are busy on a call or chat: you become available when it ends and you are ready."
        )
    if state == State.AVAILABLE and not user.on_duty:
        set_on_duty(user=user, on_duty=True)
    elif current == state and row.state == state:
        return row  # nothing changes: no event
    return set_state(user=user, state=state, now=now)


@transaction.atomic
def set_duty(*, user: User, on_duty: bool, now: datetime | None = None) -> None:
    """The header's duty toggle for helpline staff: off duty is away too (routing needs both)."""
    set_on_duty(user=user, on_duty=on_duty)
    now = now or timezone.now()
    row = _locked_row(user)
    if not on_duty and row.state != State.AWAY:
        set_state(user=user, state=State.AWAY, now=now)
    elif on_duty:
        _push(user, row, now)  # what the switch shows may change (off duty shows away)


def end_run_out_wrap_ups(*, now: datetime | None = None) -> int:
    """Write down as available every wrap-up that ran out (from the moment it did) and tell the
    consoles: readers already count them available (`effective`); this makes the row and every
    open page agree. Each row is locked and checked again: a call answered meanwhile wins."""
    now = now or timezone.now()
    ran_out = OperatorState.objects.filter(state=State.WRAP_UP, until__lte=now)
    ended = 0
    for user_id in ran_out.values_list("user_id", flat=True):
        with transaction.atomic():
            row = (
                OperatorState.objects.select_for_update(skip_locked=True)
                .filter(user_id=user_id, state=State.WRAP_UP, until__lte=now)
                .select_related("user")
                .first()
            )
            if row is None:
                continue
            set_state(user=row.user, state=State.AVAILABLE, now=row.until)
            ended += 1
    return ended


def available_operators(
    helpline: Organisation, *, with_phone: bool = False, now: datetime | None = None
) -> list[User]:
    """The helpline's operators who may be rung or offered a chat now: active, on duty, available
    (or past their wrap-up), longest-waiting first; with a phone number when `with_phone`."""
    now = now or timezone.now()
    ready = Q(operator_state__state=State.AVAILABLE) | Q(
        operator_state__state=State.WRAP_UP, operator_state__until__lte=now
    )
    staff = User.objects.filter(
        ready,
        organisation=helpline,
        is_active=True,
        on_duty=True,
        role__in=STAFF_ROLES,
    )
    if with_phone:
        staff = staff.exclude(phone="")
    # A run-out wrap-up has waited since its `until`, not since it began.
    return sorted(
        staff.select_related("operator_state"),
        key=lambda user: (_waiting_since(user.operator_state), user.pk),
    )


def _waiting_since(row: OperatorState) -> datetime:
    return row.until if row.state == State.WRAP_UP and row.until else row.since


def helpline_states(helpline_id: int, *, now: datetime | None = None) -> list[OperatorSummary]:
    """Every active operator and supervisor of the helpline with the state they are shown in (the
    supervisor's team view), by username."""
    now = now or timezone.now()
    staff = (
        User.objects.filter(organisation_id=helpline_id, is_active=True, role__in=STAFF_ROLES)
        .select_related("operator_state")
        .order_by("username")
    )
    return [summary(user, getattr(user, "operator_state", None), now) for user in staff]


def own_state(user: User, *, now: datetime | None = None) -> tuple[OperatorState | None, str]:
    """The signed-in operator's row and the state their switch shows."""
    now = now or timezone.now()
    row = OperatorState.objects.filter(user=user).first()
    return row, shown(user, row, now)


def has_switch(user: Any) -> bool:
    """Helpline operators and supervisors: the people routing may ring or offer a chat."""
    return bool(
        user.is_authenticated
        and user.role in STAFF_ROLES
        and user.organisation_id is not None
        and user.organisation.kind == Organisation.Kind.HELPLINE
        and user.has_perm("cases.work_case")
    )
