"""Claims left idle (UX.md 3): a case claimed for triage that its holder does not work on warns
them once, then goes back to the queue, so a report is never stuck behind someone who went home.

"Activity" on a claimed case, by its holder only (others' work says nothing about the holder):
  - the claim itself (claimed_at);
  - a change they saved to the case (a history row of the case with them as its user: verifying,
    details, flags, categories, each bumps the case);
  - a note they wrote on it;
  - a long form of theirs autosaved on it (cases.Draft: typing the verification counts);
  - opening the case's page (the access log's "view" rows);
  - a live call of theirs on it (answered or ended), and their state: a holder busy in a call or
    chat ON THIS CASE, or in its wrap-up, is never warned nor returned.
The case is warned about once per idle spell (a warning after the last activity), and returned
only when idle CLAIM_IDLE_RETURN_MINUTES and warned at least RETURN - WARN minutes before, so
the holder always has that long to come back, even after the job did not run for a while.

This lives in live/, above triage, because it must read operators' states; triage only gains the
system release (triage.services.release_idle_claim)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, OuterRef, QuerySet, Subquery
from django.utils import timezone

from cases.models import AccessLog, Case, CaseNote, Draft
from live.models import Call, OperatorState
from live.presence import effective
from notifications.models import Notification
from notifications.services import notify_staff
from triage.services import release_idle_claim

WARNED = "case.claim_idle"
RETURNED = "case.claim_returned"


@dataclass(frozen=True)
class Outcome:
    warned: list[str]
    returned: list[str]


def _latest(queryset: QuerySet, field: str) -> Subquery:
    """The latest `field` of the rows (nulls left out: PostgreSQL sorts them first, descending)."""
    rows = queryset.filter(**{f"{field}__isnull": False}).order_by(f"-{field}")
    return Subquery(rows.values(field)[:1], output_field=DateTimeField())


def _with_activity(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Each case with the times of its holder's latest activity of each kind and latest warning,
    in one query."""
    holder, case = OuterRef("claimed_by_id"), OuterRef("pk")
    history = Case.history.filter(id=case, history_user_id=holder)  # type: ignore[attr-defined]
    return cases.annotate(
        last_change=_latest(history, "history_date"),
        last_note=_latest(CaseNote.objects.filter(case=case, author_id=holder), "created_at"),
        last_draft=_latest(Draft.objects.filter(case=case, user_id=holder), "saved_at"),
        last_view=_latest(
            AccessLog.objects.filter(case=case, user_id=holder, action=AccessLog.Action.VIEW),
            "at",
        ),
        last_call=_latest(Call.objects.filter(case=case, operator_id=holder), "started_at"),
        last_call_end=_latest(Call.objects.filter(case=case, operator_id=holder), "ended_at"),
        last_warning=_latest(
            Notification.objects.filter(
                kind=WARNED, channel=Notification.Channel.IN_APP, recipient_id=holder,
                case_number=OuterRef("number"),
            ),
            "created_at",
        ),
    )  # fmt: skip


def last_activity(case: Case) -> datetime:
    """The latest activity of the holder on an annotated case (see the module's docstring)."""
    times = [
        case.claimed_at,
        case.last_change,  # type: ignore[attr-defined]
        case.last_note,  # type: ignore[attr-defined]
        case.last_draft,  # type: ignore[attr-defined]
        case.last_view,  # type: ignore[attr-defined]
        case.last_call,  # type: ignore[attr-defined]
        case.last_call_end,  # type: ignore[attr-defined]
    ]
    return max(moment for moment in times if moment is not None)


def in_conversation_on(case: Case, holder_id: int, now: datetime) -> bool:
    """The holder is busy in a call or chat on this very case, or wrapping it up."""
    row = OperatorState.objects.filter(user_id=holder_id, case_id=case.pk).first()
    return row is not None and effective(row, now) in (
        OperatorState.State.BUSY,
        OperatorState.State.WRAP_UP,
    )


def claimed_cases() -> QuerySet[Case]:
    return _with_activity(
        Case.objects.filter(status=Case.Status.IN_TRIAGE, claimed_by__isnull=False).select_related(
            "claimed_by"
        )
    )


def warn_and_return_idle_claims(*, now: datetime | None = None) -> Outcome:
    """The periodic job (every minute): warn the holders of claims idle CLAIM_IDLE_WARN_MINUTES,
    return to the queue those idle CLAIM_IDLE_RETURN_MINUTES after a warning. Each case in its own
    transaction, so one refusal never holds up the others; a second run finds nothing left to do."""
    now = now or timezone.now()
    warn_after = timedelta(minutes=settings.CLAIM_IDLE_WARN_MINUTES)
    return_after = timedelta(minutes=settings.CLAIM_IDLE_RETURN_MINUTES)
    grace = max(return_after - warn_after, timedelta(0))
    warned: list[str] = []
    returned: list[str] = []
    if settings.CLAIM_IDLE_RETURN_MINUTES <= 0:  # switched off
        return Outcome(warned, returned)
    for case in claimed_cases().filter(claimed_at__lte=now - warn_after):
        activity = last_activity(case)
        idle = now - activity
        if idle < warn_after or in_conversation_on(case, case.claimed_by_id, now):
            continue
        warning = case.last_warning  # type: ignore[attr-defined]
        if warning is None or warning <= activity:
            _warn(case)
            warned.append(case.number)
        elif idle >= return_after and now - warning >= grace and _return(case, activity, now):
            returned.append(case.number)
    return Outcome(warned, returned)


@transaction.atomic
def _warn(case: Case) -> None:
    minutes = max(settings.CLAIM_IDLE_RETURN_MINUTES - settings.CLAIM_IDLE_WARN_MINUTES, 0)
    notify_staff(
        users=[case.claimed_by],
        kind=WARNED,
        case_number=case.number,
        text=f"{case.number} goes back to the queue in {minutes} minutes unless you work on it",
    )


@transaction.atomic
def _return(case: Case, activity: datetime, now: datetime) -> bool:
    holder = case.claimed_by

    def still_idle(locked: Case) -> bool:
        # again under the case's lock: a save, a note, a call started since the read keeps it
        fresh = claimed_cases().filter(pk=locked.pk).first()
        return (
            fresh is not None
            and last_activity(fresh) <= activity
            and not in_conversation_on(locked, holder.pk, now)
        )

    minutes = int((now - activity).total_seconds() // 60)
    moved = release_idle_claim(
        case=case, holder_id=holder.pk, idle_minutes=minutes, still_idle=still_idle
    )
    if moved is None:
        return False
    notify_staff(
        users=[holder],
        kind=RETURNED,
        case_number=case.number,
        text=f"{case.number} went back to the queue: nobody worked on it for {minutes} minutes",
    )
    return True
