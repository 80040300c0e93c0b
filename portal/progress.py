"""What the victim reads on the portal's home page: the progress of their case in plain words
(reading age about 9). Built only from what the victim may know: the stage (from the case's status,
never the status itself), the support services staff chose to show them, the appointments and
follow-ups staff marked as meant for them (kind and time, never notes), and the updates sent to
their timeline. Never notes, risk, other people, the report's words, staff or team names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from cases.models import Case
from notifications.models import Notification
from portal.articles import recommend
from portal.models import PortalUpdate
from referrals.models import FollowUp, Referral

S = Case.Status
ANY_TIME = "23:59"  # referrals.forms.END_OF_DAY: a follow-up due "any time that day"


@dataclass(frozen=True)
class Stage:
    """One stage of a case as the victim reads it. `code` is the stage articles are tagged with
    (portal.articles.STAGE_BY_STATUS, which also knows a "court" stage from a court date)."""

    code: str
    step: int  # 1-based place in STEPS
    title: str
    next: str


STEPS = (
    "We get your report",
    "We look at your report",
    "We find a support service for you",
    "A support service helps you",
    "We finish working on your report",
)

REPORTED = Stage(
    "reported",
    1,
    "We have your report",
    "Someone from our team will read it soon. They will check what help you need.",
)
LOOKED_AT = Stage(
    "being_looked_at",
    2,
    "Someone is looking at your report",
    "They will work out who can help you best. We will tell you when there is news.",
)
ASKED = Stage(
    "getting_support",
    3,
    "We have asked a support service to help you",
    "The support service will say if they can help. If they cannot, we will ask another one.",
)
SUPPORTED = Stage(
    "getting_support",
    4,
    "A support service is helping you",
    "They will get in touch in the way you said is safe. You can send us a message here "
    "at any time.",
)
RESOLVED = Stage(
    "finished",
    5,
    "The support service has finished helping you",
    "We will check with you before we close your report. You can still send us a message here.",
)
FINISHED = Stage(
    "finished",
    5,
    "We have finished working on your report",
    "You can still read this page for a short time. If you need help again, tell us what "
    "happened and we will read it.",
)

STAGES = {
    S.NEW: REPORTED,
    S.IN_TRIAGE: REPORTED,
    S.VERIFIED: LOOKED_AT,
    S.REFERRED: ASKED,
    S.IN_SERVICE: SUPPORTED,
    S.RESOLVED: RESOLVED,
    S.CLOSED: FINISHED,
    S.ARCHIVED: FINISHED,
}


def stage_of(case: Case) -> Stage:
    # Discarded and merged cases never reach the portal (portal.rules); "reported" if they did.
    return STAGES.get(case.status, REPORTED)


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done" | "current" | "next"
    words: str  # the state in words, for the tag next to the step


def steps_of(stage: Stage) -> list[Step]:
    finished = stage is FINISHED
    steps = []
    for number, label in enumerate(STEPS, start=1):
        if number < stage.step or (finished and number == stage.step):
            steps.append(Step(label, "done", "Done"))
        elif number == stage.step:
            steps.append(Step(label, "current", "Now"))
        else:
            steps.append(Step(label, "next", "Next"))
    return steps


@dataclass(frozen=True)
class Planned:
    """An appointment or follow-up meant for the victim: what and when, nothing else."""

    what: str
    at: datetime
    # Set for a day, not a time (the follow-up form's "any time that day" is 23:59).
    any_time: bool = False


@dataclass(frozen=True)
class Progress:
    stage: Stage
    steps: list[Step]
    helping: list[str]  # names of organisations staff chose to show
    planned: list[Planned]
    updates: list[PortalUpdate]
    unread_messages: int
    articles: list[Any]


def helping(case: Case) -> list[str]:
    """Organisations of the live referrals staff marked "show the victim": nobody else."""
    names = (
        Referral.objects.filter(
            case=case, shared_with_victim=True, status__in=Referral.GRANTS_ACCESS
        )
        .order_by("created_at", "pk")
        .values_list("organisation__name", flat=True)
    )
    return list(dict.fromkeys(names))  # one line per organisation, even if referred twice


def planned(case: Case, now: datetime | None = None) -> list[Planned]:
    now = now or timezone.now()
    rows = (
        FollowUp.objects.filter(case=case, for_victim=True, done_at=None, due_at__gte=now)
        .select_related("kind")
        .order_by("due_at", "pk")
    )
    return [
        Planned(
            what=row.kind.label,
            at=row.due_at,
            any_time=timezone.localtime(row.due_at).strftime("%H:%M") == ANY_TIME,
        )
        for row in rows
    ]


def updates(case: Case) -> list[PortalUpdate]:
    return list(PortalUpdate.objects.filter(case=case).order_by("-created_at", "-pk"))


def mark_updates_read(case: Case, shown: list[PortalUpdate]) -> None:
    """The updates on the page have been read. A plain update: PortalUpdate keeps no history, and
    reading is not a change anyone needs to undo."""
    unread = [update.pk for update in shown if update.read_at is None]
    if unread:
        PortalUpdate.objects.filter(case=case, pk__in=unread).update(read_at=timezone.now())


def portal_replies(case: Case) -> Any:
    """What staff wrote to the victim in the portal (never a row safe contact stopped)."""
    return Notification.objects.filter(
        case=case, person__isnull=False, channel=Notification.Channel.PORTAL
    ).exclude(Q(status=Notification.Status.SUPPRESSED) | Q(status=Notification.Status.FAILED))


def count_unread_messages(case: Case) -> int:
    return portal_replies(case).filter(read_at=None).count()


def recommended(case: Case, language: str) -> list[Any]:
    """Articles that fit the case (portal.articles, the library's)."""
    return list(recommend(case=case, language=language, limit=5))


def progress(case: Case, *, language: str = "en") -> Progress:
    stage = stage_of(case)
    return Progress(
        stage=stage,
        steps=steps_of(stage),
        helping=helping(case),
        planned=planned(case),
        updates=updates(case),
        unread_messages=count_unread_messages(case),
        articles=recommended(case, language),
    )
