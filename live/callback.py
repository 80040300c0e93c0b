"""Safe call-back (issue 17, UX.md 18-20, SECURITY.md A11): an operator's "Call back" bridges their
own phone to the victim through the helpline's number, only when the safe-contact function allows
a phone call now (DESIGN rule 7). It is asked when the button is pressed, again when the call is
placed (a Celery task that gives up after a minute: never a call placed late) and once more when
the operator has answered, just before the victim's phone is dialled.

Every press leaves a Call row on the case: refused with the reason in staff words, or ringing and
then what became of it. Twilio's webhooks (live.callback_views) move it on; each locks the row, so
a retried or crossed webhook finds the work done. No phone number or name is logged or put in a
URL: the webhooks' addresses carry the Call's id only, and are signed by Twilio."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from cases.moves import lock_case, require
from cases.policy import can_change_case
from cases.workflow import ConflictError
from live.models import Call
from live.presence import end_conversation, start_conversation
from notifications import transports
from notifications.victim_messages import decide, victim_of

logger = logging.getLogger(__name__)

Outcome = Call.Outcome
CALLBACK = Call.Direction.CALLBACK
# A pressed call-back still ringing this long after the press is no longer "under way" (a lost
# webhook must not block the button for ever).
UNDER_WAY_MINUTES = 3


@dataclass(frozen=True)
class Verdict:
    """May the operator call the victim now? `words` is what the case page shows before pressing."""

    allowed: bool
    words: str
    reason: str = ""  # why not, in staff words (stored on a refused Call)
    discreet: bool = False  # do not show the helpline's number: caller id withheld
    victim_phone: str = ""  # for the TwiML only: never logged, never in a URL


def _clock(moment: datetime, now: datetime) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime(now).date():
        return local.strftime("%H:%M")
    return f"{local:%H:%M} on {local.day} {local:%b}"


def verdict(case: Case, operator: User, *, now: datetime | None = None) -> Verdict:
    """What safe contact says about a phone call to the case's victim now, and whether this
    operator and the helpline can place one (their own phone; the helpline's number)."""
    now = now or timezone.now()
    decision, phone = decide(case, victim_of(case), "phone", automated=False, text="", now=now)
    if not decision.allowed:
        return Verdict(False, f"Not now: {decision.reason}", decision.reason)
    if decision.not_before is not None:
        when = _clock(decision.not_before, now)
        reason = f"Outside the victim's safe hours: they can be called from {when}."
        return Verdict(False, f"Not now: outside the victim's safe hours, from {when}", reason)
    if not operator.phone:
        reason = "You have no phone number of your own in Lantern: an administrator adds it."
        return Verdict(False, f"Not now: {reason}", reason)
    # the operator's organisation came with request.user: no query for the usual case
    same = operator.organisation_id == case.helpline_id
    helpline = operator.organisation if same else case.helpline
    if not helpline.phone_number:
        reason = "The helpline has no phone number to call from."
        return Verdict(False, f"Not now: {reason}", reason)
    words = "Safe to call now"
    if decision.discreet:
        words += " (the helpline's number is withheld: they asked that we not be named)"
    return Verdict(True, words, discreet=decision.discreet, victim_phone=phone)


# Pressing the button --------------------------------------------------------------------------


NOT_PLACED_IN_TIME = "Not placed within a minute: never placed late."


def never_placed(call: Call, now: datetime) -> bool:
    """A call-back still ringing, never placed, past the minute: its task never ran (no worker),
    and never will (it expired). Shown and counted as failed."""
    window = timedelta(seconds=settings.CALLBACK_PLACE_WITHIN_SECONDS)
    return (
        call.direction == CALLBACK
        and call.outcome == Outcome.RINGING
        and not call.call_sid
        and now - call.started_at > window
    )


def _under_way(case: Case, now: datetime) -> bool:
    # those whose task never ran are written down as failed first
    window = now - timedelta(seconds=settings.CALLBACK_PLACE_WITHIN_SECONDS)
    Call.objects.filter(
        case=case, direction=CALLBACK, outcome=Outcome.RINGING, call_sid="", started_at__lt=window
    ).update(outcome=Outcome.FAILED, reason=NOT_PLACED_IN_TIME, ended_at=now)
    recent = now - timedelta(minutes=UNDER_WAY_MINUTES)
    calls = Call.objects.filter(case=case, direction=CALLBACK, ended_at__isnull=True)
    return (
        calls.filter(outcome=Outcome.RINGING, started_at__gte=recent).exists()
        or calls.filter(outcome=Outcome.ANSWERED).exists()
    )


@transaction.atomic
def request_call_back(*, case: Case, actor: User, now: datetime | None = None) -> Call:
    """The operator pressed "Call back". Refused: a Call row says why and nothing is placed.
    Allowed: a ringing Call row, and after commit the call is placed from a Celery task."""
    now = now or timezone.now()
    locked = lock_case(case)  # two presses at once: the second sees the first's call
    require(can_change_case(actor, locked), locked, "You cannot call back on this case.")
    if _under_way(locked, now):
        raise ConflictError("A call-back on this case is already under way.")
    answer = verdict(locked, actor, now=now)
    call = Call.objects.create(
        case=locked,
        helpline_id=locked.helpline_id,
        direction=CALLBACK,
        operator=actor,
        started_at=now,
        caller_id_withheld=answer.discreet,
        outcome=Outcome.RINGING if answer.allowed else Outcome.REFUSED,
        reason=answer.reason,
        ended_at=None if answer.allowed else now,
    )
    logger.info(
        "callback_requested",
        extra={"call_id": call.pk, "case_id": locked.pk, "allowed": answer.allowed},
    )
    if answer.allowed:
        transaction.on_commit(lambda: _queue(call.pk), robust=True)
    return call


def _queue(call_id: int) -> None:
    from live.tasks import place_call_back

    try:
        # expires: a worker that only gets to it later drops it (place() fails it then anyway)
        place_call_back.apply_async((call_id,), expires=settings.CALLBACK_PLACE_WITHIN_SECONDS)
    except Exception as exc:  # the broker refused or is down: say so now rather than ring late
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise  # in-process, the error is the task's own: a bug to see, not a queue down
        logger.warning(
            "callback_queue_failed", extra={"call_id": call_id, "error": type(exc).__name__}
        )
        _fail(call_id, "Could not be placed: the task queue is not answering. Try again.")


def _fail(call_id: int, reason: str, now: datetime | None = None) -> None:
    Call.objects.filter(pk=call_id, outcome=Outcome.RINGING, call_sid="").update(
        outcome=Outcome.FAILED, reason=reason, ended_at=now or timezone.now()
    )


# Placing the call (Celery) --------------------------------------------------------------------


def hook_url(name: str, call: Call) -> str:
    """A webhook's full address for this call: its id only, nothing about anyone."""
    return f"{settings.PUBLIC_BASE_URL}{reverse(f'live-callback-hooks:{name}')}?call={call.pk}"


@transaction.atomic
def place(call_id: int, *, now: datetime | None = None) -> Call:
    """Ring the operator's phone from the helpline's number, if the call is still wanted: not
    past the minute, safe contact still says yes. The row stays locked while Twilio is asked, so
    a second run of the task waits and then finds the call placed (Twilio's idempotency key
    covers a run that died after asking)."""
    now = now or timezone.now()
    call = (
        Call.objects.select_for_update(of=("self",))  # the nullable operator is an outer join
        .select_related("case__helpline", "operator")
        .get(pk=call_id)
    )
    if call.outcome != Outcome.RINGING or call.call_sid:
        return call  # placed already, or ended
    if now - call.started_at > timedelta(seconds=settings.CALLBACK_PLACE_WITHIN_SECONDS):
        return _end(call, Outcome.FAILED, NOT_PLACED_IN_TIME, now)
    answer = verdict(call.case, call.operator, now=now)
    if not answer.allowed:
        return _end(call, Outcome.REFUSED, answer.reason, now)
    try:
        call.call_sid = transports.place_call(
            to=str(call.operator.phone),
            from_=call.case.helpline.phone_number,
            url=hook_url("operator", call),
            status_callback=hook_url("status", call),
            key=f"lantern-callback-{call.pk}",
        )
    except transports.OutcomeUnknownError:
        # it may ring: the row stays ringing, and the webhooks take it on if it does
        call.reason = "Twilio did not answer in time: the operator's phone may still ring."
        call.save(update_fields=["reason"])
        logger.warning("callback_outcome_unknown", extra={"call_id": call.pk})
        return call
    except (transports.TransientError, transports.PermanentError) as exc:
        logger.warning("callback_place_failed", extra={"call_id": call.pk, "error": str(exc)})
        return _end(call, Outcome.FAILED, f"Could not be placed: {exc}", now)
    call.caller_id_withheld = answer.discreet
    call.save(update_fields=["call_sid", "caller_id_withheld"])
    logger.info("callback_placed", extra={"call_id": call.pk})
    return call


def _end(call: Call, outcome: str, reason: str, now: datetime) -> Call:
    call.outcome, call.reason, call.ended_at = outcome, reason, now
    call.save(update_fields=["outcome", "reason", "ended_at"])
    return call


# Twilio's webhooks ----------------------------------------------------------------------------


def _locked(call_id: Any) -> Call | None:
    try:
        pk = int(call_id)
    except (TypeError, ValueError):
        return None
    return (
        Call.objects.select_for_update(of=("self",))
        .select_related("case__helpline", "operator")
        .filter(pk=pk, direction=CALLBACK)
        .first()
    )


def _ours(call: Call, sid: str) -> bool:
    """The operator's leg is the one we placed (or, with the outcome unknown, the first seen)."""
    if not call.call_sid:
        call.call_sid = sid
        call.save(update_fields=["call_sid"])
    return call.call_sid == sid


@transaction.atomic
def operator_answered(call_id: Any, call_sid: str) -> bool:
    """The operator's phone answered: may they be asked to press 1? False: hang up."""
    call = _locked(call_id)
    return call is not None and call.outcome == Outcome.RINGING and _ours(call, call_sid)


@transaction.atomic
def connect(call_id: Any, call_sid: str, *, now: datetime | None = None) -> Verdict | None:
    """The operator pressed 1: safe contact is asked once more, just before dialling. The
    verdict (with the victim's number and the caller id to show), or None: nothing to dial."""
    now = now or timezone.now()
    call = _locked(call_id)
    if call is None or call.outcome != Outcome.RINGING or not _ours(call, call_sid):
        return None
    answer = verdict(call.case, call.operator, now=now)
    if not answer.allowed:
        _end(call, Outcome.REFUSED, answer.reason, now)
        return answer
    if call.leg_sid:  # a retried connect: already dialling
        return None
    call.caller_id_withheld = answer.discreet
    call.save(update_fields=["caller_id_withheld"])
    return answer


def caller_id(call_id: Any, answer: Verdict) -> str:
    if answer.discreet:
        return settings.CALLBACK_WITHHELD_CALLER_ID
    call = Call.objects.select_related("helpline").get(pk=int(call_id))
    return call.helpline.phone_number


MACHINES = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax")


@transaction.atomic
def victim_answered(
    call_id: Any, *, parent_sid: str, leg_sid: str, answered_by: str, now: datetime | None = None
) -> bool:
    """The victim's phone answered. A machine or fax: no message is ever left (False: hang up).
    A person (or Twilio could not tell: the operator is there to judge): bridged, and the
    operator is busy on this case."""
    now = now or timezone.now()
    call = _locked(call_id)
    if call is None or call.call_sid != parent_sid:
        return False
    if call.leg_sid and call.leg_sid != leg_sid:
        return False
    if call.outcome == Outcome.ANSWERED:
        return True  # a retry of the same answer
    if call.outcome != Outcome.RINGING:
        return False
    call.leg_sid = leg_sid
    if answered_by in MACHINES:
        _end(call, Outcome.MACHINE, "Voicemail or a machine answered: hung up, nothing left.", now)
        call.save(update_fields=["leg_sid"])
        return False
    call.outcome, call.answered_at = Outcome.ANSWERED, now
    if answered_by not in ("", "human"):
        call.reason = "Twilio could not tell whether a person answered: the operator judged."
    call.save(update_fields=["leg_sid", "outcome", "answered_at", "reason"])
    start_conversation(user=call.operator, activity="call", case=call.case)
    return True


NOT_REACHED = {
    "no-answer": "The victim's phone was not answered.",
    "busy": "The victim's phone was busy.",
    "failed": "The victim's phone could not be reached.",
    "canceled": "The call ended before the victim answered.",
}


@transaction.atomic
def dial_ended(
    call_id: Any, *, call_sid: str, status: str, duration: str, now: datetime | None = None
) -> Call | None:
    """The <Dial> to the victim ended (its action): talked (with the duration) or not reached.
    A machine already hung up on keeps that outcome."""
    now = now or timezone.now()
    call = _locked(call_id)
    if call is None or call.call_sid != call_sid:
        return None
    _finish(call, status, duration, now)
    return call


@transaction.atomic
def operator_leg_ended(
    call_id: Any, *, call_sid: str, status: str, duration: str, now: datetime | None = None
) -> Call | None:
    """The operator's own leg ended (its status callback): unanswered, it failed; if the
    operator hung up mid-conversation before the dial's action came, the talk ends here."""
    now = now or timezone.now()
    call = _locked(call_id)
    if call is None or not call.call_sid or call.call_sid != call_sid:
        return None
    if call.outcome == Outcome.RINGING:
        reason = {
            "no-answer": "Your phone was not answered.",
            "busy": "Your phone was busy.",
            "failed": "Your phone could not be reached.",
            "canceled": "The call was cancelled before your phone answered.",
        }.get(status, "Your phone answered, but the victim was not dialled (1 was not pressed).")
        _end(call, Outcome.FAILED, reason, now)
    elif call.outcome == Outcome.ANSWERED:
        _finish(call, "completed", "", now)
    return call


def _finish(call: Call, status: str, duration: str, now: datetime) -> None:
    if call.outcome == Outcome.ANSWERED:
        seconds = int(duration) if duration.isdigit() and len(duration) < 7 else None
        if seconds is None and call.answered_at is not None:
            seconds = int((now - call.answered_at).total_seconds())
        call.outcome, call.ended_at, call.duration_seconds = Outcome.COMPLETED, now, seconds
        call.save(update_fields=["outcome", "ended_at", "duration_seconds"])
        end_conversation(user=call.operator, now=now)
    elif call.outcome == Outcome.RINGING:
        reason = NOT_REACHED.get(status, "The victim was not reached.")
        _end(call, Outcome.NOT_REACHED, reason, now)
