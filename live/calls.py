"""Incoming calls that ring operators (issue 17 part 1): every step of one call, on its
live.Call row. The case is opened (intake.services.receive_call) before anything is said; then the
helpline's available operators are rung at once or in turn; the first to press 1 holds the case
and is busy; nobody in time, and the caller leaves a message as before.

Every function here answers a Twilio webhook, and Twilio retries: each locks the Call row first
(select_for_update), so a retry, or two operators pressing 1 at once, is decided one after the
other, and a step already taken is answered the same way and changes nothing again."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from cases.workflow import CaseError
from intake import services as intake
from intake.adapters import twilio
from live import presence
from live.models import Call, LineSettings
from triage.services import claim_case

logger = logging.getLogger(__name__)

Outcome = Call.Outcome
Answer = Literal["put_through", "taken", "gone", "end_leg"]
# Twilio will not ring a phone for less than about five seconds: a shorter leg is not worth it.
MIN_LEG_SECONDS = 5


@dataclass(frozen=True)
class Ringing:
    """What the caller hears next: operators' phones to ring for `seconds` (leg `leg` of the
    call, counted from 0), a message to leave, or the end of the call."""

    call_id: int
    kind: Literal["dial", "message", "hang_up"]
    operators: list[User] = field(default_factory=list)
    seconds: int = 0
    leg: int = 0


def ring_seconds(line: LineSettings) -> int:
    """The line's ring time; a helpline that saved none rings for VOICE_RING_SECONDS."""
    return line.ring_seconds if not line._state.adding else settings.VOICE_RING_SECONDS


def _locked(call_id: int) -> Call | None:
    return Call.objects.select_for_update().filter(pk=call_id).first()


# The incoming call ---------------------------------------------------------------------------


@transaction.atomic
def incoming(params: twilio.Params) -> Ringing:
    """A call rings the line: its case opened (idempotent on CallSid) and its Call row made, then
    the operators to ring, or a message when nobody is available. A retried webhook rings the
    same operators again, never new ones."""
    case, new = intake.receive_call(params)
    if not new:  # heard before (a retry, or its status callback came first): maybe rung already
        call = (
            Call.objects.select_for_update()
            .filter(direction=Call.Direction.INBOUND, call_sid=params["CallSid"])
            .first()
        )
        if call is not None:
            return _replay(call)
    line = presence.line_settings(case.helpline_id)
    ready = presence.available_operators(case.helpline, with_phone=True)
    call = Call(
        case=case,
        helpline_id=case.helpline_id,
        direction=Call.Direction.INBOUND,
        call_sid=params["CallSid"],
    )
    if not ready:
        call.outcome = Outcome.NOBODY_AVAILABLE
        ringing = Ringing(0, "message")
    else:
        total = ring_seconds(line)
        if line.ring_mode == LineSettings.RingMode.IN_TURN:
            operators, seconds = ready[:1], min(total, settings.VOICE_RING_SECONDS_PER_OPERATOR)
        else:
            operators, seconds = ready[: settings.VOICE_MAX_SIMULTANEOUS], total
        call.rung = [operator.pk for operator in operators]
        ringing = Ringing(0, "dial", operators, max(seconds, MIN_LEG_SECONDS))
    try:
        # a new case is ours alone until commit (its report's CallSid is unique): no savepoint
        with transaction.atomic(savepoint=not new):
            call.save(force_insert=True)
    except IntegrityError:  # the same call's other delivery made it a moment ago
        mine = Call.objects.select_for_update().get(
            direction=Call.Direction.INBOUND, call_sid=params["CallSid"]
        )
        return _replay(mine)
    return replace(ringing, call_id=call.pk)


def _replay(call: Call) -> Ringing:
    """The answer already given to this call's incoming webhook (Twilio retried it)."""
    if call.outcome != Outcome.RINGING or not call.rung:
        return Ringing(call.pk, "message" if call.operator_id is None else "hang_up")
    line = presence.line_settings(call.helpline_id)
    rung = call.rung if line.ring_mode == LineSettings.RingMode.SIMULTANEOUS else call.rung[:1]
    operators = sorted(User.objects.filter(pk__in=rung), key=lambda user: rung.index(user.pk))
    seconds = ring_seconds(line)
    if line.ring_mode == LineSettings.RingMode.IN_TURN:
        seconds = min(seconds, settings.VOICE_RING_SECONDS_PER_OPERATOR)
    return Ringing(call.pk, "dial", operators, max(seconds, MIN_LEG_SECONDS))


# The operator's leg --------------------------------------------------------------------------


def whisper(call_id: int, operator_id: int) -> Literal["ask", "taken", "gone"]:
    """Whether an operator who just answered their phone may still take this call ("ask" them to
    press 1), or not: someone took it, or it is over (their leg ends). Reads only."""
    call = Call.objects.filter(pk=call_id).first()
    if call is None or operator_id not in call.rung:
        return "gone"
    if call.operator_id is not None:
        return "taken"
    return "ask" if call.outcome == Outcome.RINGING else "gone"


@transaction.atomic
def accept(call_id: int, operator_id: int, *, digits: str, leg_sid: str = "") -> Answer:
    """An operator pressed a key in the whisper. 1, first: they hold the call and its case, and
    are busy. 1 after someone else: "taken". Anything else: their leg ends, nothing changes."""
    if digits != "1":
        return "end_leg"
    call = _locked(call_id)
    if call is None or operator_id not in call.rung:
        return "end_leg"
    if call.operator_id == operator_id:
        return "put_through"  # Twilio retried this operator's own acceptance
    if call.operator_id is not None:
        return "taken"
    if call.outcome != Outcome.RINGING:
        return "gone"  # the caller hung up, or the ring time ran out, while this leg listened
    operator = User.objects.select_related("organisation").get(pk=operator_id)
    call.operator, call.outcome = operator, Outcome.ANSWERED
    call.answered_at, call.leg_sid = timezone.now(), leg_sid[:64]
    call.save(update_fields=["operator", "outcome", "answered_at", "leg_sid"])
    _claim(call, operator)
    presence.start_conversation(user=operator, activity="call", case=call.case)
    logger.info("call_answered", extra={"call_id": call.pk, "operator_id": operator.pk})
    return "put_through"


def _claim(call: Call, operator: User) -> None:
    """The operator holds the call's case. A case someone already holds (or one they may not
    work) stays as it is: the call is still put through; talking comes before paperwork."""
    try:
        with transaction.atomic():
            claim_case(case=call.case, actor=operator)
    except CaseError as exc:
        logger.warning(
            "call_case_not_claimed", extra={"call_id": call.pk, "reason": type(exc).__name__}
        )


# The end of a dial, and of the call -----------------------------------------------------------


@transaction.atomic
def dialled(call_id: int, *, leg: int, params: twilio.Params) -> Ringing:
    """Twilio ended a <Dial> (leg `leg`): the call was talked and is over, or nobody took it and
    the next operator is rung (in turn) or the caller leaves a message. A retried action for a
    leg already followed by another rings that same operator again."""
    call = _locked(call_id)
    if call is None:
        return Ringing(call_id, "hang_up")
    if call.operator_id is not None:
        _talked(call, params)
        return Ringing(call.pk, "hang_up")
    if call.outcome in (Outcome.NO_ANSWER, Outcome.NOBODY_AVAILABLE):
        return Ringing(call.pk, "message")  # a retry of the action that gave up
    if call.outcome != Outcome.RINGING:
        return Ringing(call.pk, "hang_up")  # the caller hung up meanwhile
    line = presence.line_settings(call.helpline_id)
    if line.ring_mode == LineSettings.RingMode.IN_TURN:
        if leg + 1 < len(call.rung):  # a retry: the next operator was rung already
            operator = User.objects.get(pk=call.rung[leg + 1])
            return Ringing(call.pk, "dial", [operator], _leg_seconds(call, line), leg + 1)
        following = _next_operator(call)
        seconds = _leg_seconds(call, line)
        if following is not None and seconds >= MIN_LEG_SECONDS:
            call.rung = [*call.rung, following.pk]
            call.save(update_fields=["rung"])
            return Ringing(call.pk, "dial", [following], seconds, len(call.rung) - 1)
    call.outcome = Outcome.NO_ANSWER
    call.save(update_fields=["outcome"])
    return Ringing(call.pk, "message")


def _next_operator(call: Call) -> User | None:
    """The longest-waiting available operator not rung yet on this call."""
    for operator in presence.available_operators(call.helpline, with_phone=True):
        if operator.pk not in call.rung:
            return operator
    return None


def _leg_seconds(call: Call, line: LineSettings, now: datetime | None = None) -> int:
    """How long the next operator may ring: their share, and never past the line's ring time."""
    spent = ((now or timezone.now()) - call.started_at).total_seconds()
    left = int(ring_seconds(line) - spent)
    return max(0, min(left, settings.VOICE_RING_SECONDS_PER_OPERATOR))


def _talked(call: Call, params: twilio.Params) -> None:
    """The operator's call with the caller ended: its length (Twilio's count of the bridged call)
    and end kept; the operator goes to wrap-up once, whichever callback says so first."""
    duration = params.get("DialCallDuration", "")
    seconds = (
        int(duration) if duration.isascii() and duration.isdigit() and len(duration) < 7 else None
    )
    changed: list[str] = []
    if call.outcome == Outcome.ANSWERED:
        call.outcome, call.ended_at = Outcome.COMPLETED, timezone.now()
        changed += ["outcome", "ended_at"]
        if seconds is None and call.answered_at is not None:
            seconds = int((call.ended_at - call.answered_at).total_seconds())
        presence.end_conversation(user=call.operator)
    if seconds is not None and seconds != call.duration_seconds:
        call.duration_seconds = seconds
        changed.append("duration_seconds")
    if changed:
        call.save(update_fields=changed)


@transaction.atomic
def ended(params: twilio.Params) -> None:
    """The caller's call ended (its status callback). Still ringing: the caller hung up before an
    answer. Answered: talked (if the dial's own end has not said so yet). The case is marked for a
    call back unless an operator took the call, or a message comes (intake and cases decide)."""
    call = None
    if params.get("CallStatus") in intake.ENDED_CALL_STATUSES:
        call = (
            Call.objects.select_for_update()
            .filter(direction=Call.Direction.INBOUND, call_sid=params["CallSid"])
            .first()
        )
    if call is not None:
        if call.outcome == Outcome.RINGING:
            call.outcome, call.ended_at = Outcome.HUNG_UP, timezone.now()
            call.save(update_fields=["outcome", "ended_at"])
        elif call.operator_id is not None:
            _talked(call, twilio.Params())
        elif call.ended_at is None:
            call.ended_at = timezone.now()
            call.save(update_fields=["ended_at"])
    intake.receive_call_status(params, answered=call is not None and call.operator_id is not None)
