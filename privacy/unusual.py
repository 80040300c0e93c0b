"""Unusual access (SECURITY AU-06): reading that a data-protection officer should look at. Time is
cut into fixed windows of UNUSUAL_WINDOW_MINUTES; each scan (every five minutes, audit_tasks)
looks at the window that just ended and the one running now, so whatever it finds is raised in
the same window however often it scans, and AccessAlert's unique (user, kind, window) makes a
second finding of the same thing a no-op: one alert and one staff alert each.

What counts as unusual:
- volume: more than UNUSUAL_READS distinct cases read in one window;
- outside their queue: someone in a team (not a supervisor or DPO, whose work is every queue)
  read a case that sits in another team's queue and is not theirs to hold (the shared queue is
  everyone's);
- odd hours: a read between ODD_HOURS local time by someone who was not on duty;
- mass export: more than UNUSUAL_EXPORT_CASES cases exported in one window (case lists, counted
  by their rows, and case files).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from cases.models import AccessLog, Team
from dashboards.models import ExportLog
from notifications.staff_alerts import notify_staff
from privacy.models import AccessAlert

ALERT_KIND = "access.unusual"
REVIEWER_ROLES = (User.Role.DPO, User.Role.SUPERVISOR)
LOCAL = ZoneInfo("Europe/London")


def window_of(at: datetime) -> datetime:
    """The start of the fixed window `at` falls in (windows count from the epoch, in UTC)."""
    size = settings.UNUSUAL_WINDOW_MINUTES * 60
    stamp = int(at.timestamp())
    return datetime.fromtimestamp(stamp - stamp % size, tz=UTC)


def scan(now: datetime | None = None) -> list[AccessAlert]:
    """Look for unusual access in the window just ended and the current one; returns the alerts
    raised by this scan (none that an earlier scan raised already)."""
    now = now or timezone.now()
    size = timedelta(minutes=settings.UNUSUAL_WINDOW_MINUTES)
    current = window_of(now)
    raised = []
    for start in (current - size, current):
        for (user_id, kind), count in _findings(start, start + size).items():
            alert = _raise(user_id, kind, start, start + size, count)
            if alert is not None:
                raised.append(alert)
    return raised


def _findings(start: datetime, end: datetime) -> dict[tuple[int, str], int]:
    reads = AccessLog.objects.filter(at__gte=start, at__lt=end, case__isnull=False)
    found: dict[tuple[int, str], int] = {}
    for row in _distinct_cases(reads).filter(cases__gt=settings.UNUSUAL_READS):
        found[(row["user"], AccessAlert.Kind.VOLUME)] = row["cases"]
    for row in _distinct_cases(_outside_queue(reads)):
        found[(row["user"], AccessAlert.Kind.OUTSIDE_QUEUE)] = row["cases"]
    for user_id, count in _at_odd_hours(reads, start, end).items():
        found[(user_id, AccessAlert.Kind.ODD_HOURS)] = count
    for user_id, count in _exported(start, end).items():
        if count > settings.UNUSUAL_EXPORT_CASES:
            found[(user_id, AccessAlert.Kind.MASS_EXPORT)] = count
    return found


def _distinct_cases(reads: QuerySet[AccessLog]) -> QuerySet:
    return reads.order_by().values("user").annotate(cases=Count("case", distinct=True))


def _outside_queue(reads: QuerySet[AccessLog]) -> QuerySet[AccessLog]:
    membership = Team.members.through.objects
    in_a_team = membership.filter(user_id=OuterRef("user_id"))
    in_its_team = membership.filter(team_id=OuterRef("case__team_id"), user_id=OuterRef("user_id"))
    return (
        reads.filter(case__team__isnull=False)
        .exclude(user__role__in=REVIEWER_ROLES)
        .exclude(case__claimed_by_id=F("user_id"))  # a case they hold, moved to another team
        .filter(Exists(in_a_team))
        .exclude(Exists(in_its_team))
    )


def is_odd_hour(at: datetime) -> bool:
    first, last = settings.ODD_HOURS  # (22, 6): from 22:00 until 06:00, local time
    hour = at.astimezone(LOCAL).hour
    return first <= hour or hour < last if first > last else first <= hour < last


def _at_odd_hours(reads: QuerySet[AccessLog], start: datetime, end: datetime) -> Counter:
    if not (is_odd_hour(start) or is_odd_hour(end - timedelta(microseconds=1))):
        return Counter()
    off_duty = reads.filter(user__on_duty=False).values_list("user_id", "case_id", "at")
    read_late = {(user_id, case_id) for user_id, case_id, at in off_duty if is_odd_hour(at)}
    return Counter(user_id for user_id, _ in read_late)  # distinct cases each


def _exported(start: datetime, end: datetime) -> Counter:
    counts: Counter = Counter()
    lists = (
        ExportLog.objects.filter(at__gte=start, at__lt=end, action=ExportLog.Action.EXPORTED)
        .values("user")
        .annotate(rows=Sum("row_count"))
    )
    for row in lists:
        counts[row["user"]] += row["rows"] or 0
    files = AccessLog.objects.filter(
        at__gte=start, at__lt=end, action=AccessLog.Action.EXPORT, case__isnull=False
    )
    for row in _distinct_cases(files):
        counts[row["user"]] += row["cases"]
    return counts


@transaction.atomic
def _raise(
    user_id: int, kind: str, start: datetime, end: datetime, count: int
) -> AccessAlert | None:
    """The alert and, in the same transaction, the staff alert to reviewers; None if this window
    already has it."""
    alert, created = AccessAlert.objects.get_or_create(
        user_id=user_id, kind=kind, window_start=start, defaults={"reads": count}
    )
    if not created:
        return None
    notify_staff(
        users=_reviewers(user_id, start, end),
        kind=ALERT_KIND,
        case_number="",
        text=f"Unusual access to review: {alert.get_kind_display().lower()}.",
    )
    return alert


def _reviewers(user_id: int, start: datetime, end: datetime) -> QuerySet[User]:
    """The DPOs and supervisors of the reader's own organisation and of the helplines whose
    cases they read in the window (a CSO's reader has no DPO of their own); never the reader."""
    reader = User.objects.get(pk=user_id)
    helplines = set(
        AccessLog.objects.filter(user_id=user_id, at__gte=start, at__lt=end, case__isnull=False)
        .values_list("case__helpline_id", flat=True)
        .distinct()
    )
    helplines.add(reader.organisation_id)
    return User.objects.filter(
        organisation_id__in=helplines, role__in=REVIEWER_ROLES, is_active=True
    ).exclude(pk=user_id)


@transaction.atomic
def mark_reviewed(*, alert: AccessAlert, reviewer: User) -> AccessAlert:
    """A reviewer has looked at the alert. Nobody reviews their own; a second marking keeps the
    first reviewer."""
    locked = AccessAlert.objects.select_for_update().get(pk=alert.pk)
    if locked.user_id == reviewer.pk:
        raise PermissionError("Someone else reviews an alert about you.")
    if locked.reviewed_at is None:
        locked.reviewed_by = reviewer
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["reviewed_by", "reviewed_at"])
    return locked


def alerts_for(reviewer: User) -> QuerySet[AccessAlert]:
    """The alerts a reviewer sees: about their own organisation's staff, not reviewed first."""
    return (
        AccessAlert.objects.filter(user__organisation_id=reviewer.organisation_id)
        .exclude(user=reviewer)
        .select_related("user", "reviewed_by")
        .order_by(F("reviewed_at").asc(nulls_first=True), "-created_at")
    )
