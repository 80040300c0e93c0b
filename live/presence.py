"""Operators' states (UX.md 6, 8): the one way to change them, and who may be rung or offered a
chat. Busy while on a call or chat, then wrap-up for the helpline's wrap-up time, then available;
away when they say so or sign out. Every change is pushed to the helpline's consoles after commit,
so supervisors see states live."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, TypedDict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation, User
from live.models import LineSettings, OperatorState
from notifications.realtime import broadcast, helpline_group

State = OperatorState.State


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
    """The state as routing reads it: no row is away; a wrap-up that ran out is available."""
    if row is None:
        return State.AWAY
    if row.state == State.WRAP_UP and row.until is not None and row.until <= now:
        return State.AVAILABLE
    return row.state


def state_of(user: User, *, now: datetime | None = None) -> str:
    row = OperatorState.objects.filter(user=user).first()
    return effective(row, now or timezone.now())


def summary(user: User, row: OperatorState, now: datetime) -> OperatorSummary:
    state = effective(row, now)
    ran_out = state != row.state
    return OperatorSummary(
        id=user.pk,
        username=user.get_username(),
        state=state,
        since=(row.until if ran_out and row.until else row.since).isoformat(),
        until=None if ran_out or row.until is None else row.until.isoformat(),
        activity="" if ran_out else row.activity,
    )


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
    OperatorState.objects.get_or_create(user=user)
    row = OperatorState.objects.select_for_update().get(user=user)
    row.state, row.since, row.until = state, now, until
    row.activity = activity if state in (State.BUSY, State.WRAP_UP) else ""
    row.case = case if state in (State.BUSY, State.WRAP_UP) else None
    row.save()
    if user.organisation_id is not None:
        event = OperatorStateEvent(type="operator.state", operator=summary(user, row, now))
        group = helpline_group(user.organisation_id)
        transaction.on_commit(lambda: broadcast([group], event), robust=True)  # type: ignore[arg-type]
    return row


def start_conversation(*, user: User, activity: str, case: Any) -> OperatorState:
    """The operator answered a call or took a chat: busy with it."""
    return set_state(user=user, state=State.BUSY, activity=activity, case=case)


def end_conversation(*, user: User, now: datetime | None = None) -> OperatorState:
    """The call or chat ended: wrap-up for the helpline's wrap-up time, keeping its activity and
    case. An operator who went away meanwhile stays away."""
    now = now or timezone.now()
    row = OperatorState.objects.filter(user=user).first()
    if row is not None and row.state == State.AWAY:
        return row
    seconds = line_settings(user.organisation_id).wrap_up_seconds if user.organisation_id else 0
    return set_state(
        user=user,
        state=State.WRAP_UP,
        activity=row.activity if row else "",
        case=row.case if row else None,
        until=now + timedelta(seconds=seconds),
        now=now,
    )


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
        role__in=(User.Role.OPERATOR, User.Role.SUPERVISOR),
    )
    if with_phone:
        staff = staff.exclude(phone="")
    return list(staff.select_related("operator_state").order_by("operator_state__since", "pk"))
