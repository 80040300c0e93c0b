"""The live dashboard's figures (UX.md 32): what is waiting and what happened in the last hour and
today, counted by the database through the access policy. Monitors count every helpline, a
helpline's supervisors their own (cases.policy.counted_cases).

A fixed handful of aggregate queries, whatever the number of cases: one over the open cases (their
statuses, categories and helplines and the queue in one GROUP BY, folded here group by group, never
case by case, then the names of the few categories and helplines in it), one each over the
reports, the referrals and the last hour's history. Open cases only, not every case ever: those
are what a live dashboard is for, and counting a million closed and archived ones on every push
would cost more than all the rest (period totals are the snapshot reports'). Nothing about the
people in a case is read: counts, the labels of statuses, channels and categories, helpline names
and, for a helpline's own supervisors, its staff's usernames."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime, timedelta
from typing import TypedDict

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.sessions import verified_users
from cases.models import Case, Category, Report, RiskLevel
from cases.policy import AnyUser, can_view_figures, counted_cases
from dashboards.reports import shareable_only
from dashboards.suppression import AT_LEAST, Table, is_withheld, threshold
from notifications.realtime import DASHBOARD_ALL_GROUP, dashboard_helpline_group
from referrals.models import Referral
from triage.services import overdue_unclaimed

S = Case.Status
# a merged case is not open: it lives on in the case it joined, which is counted (cases.merging)
FINISHED = (S.DISCARDED, S.CLOSED, S.ARCHIVED, S.MERGED)
OPEN_STATUSES = [status for status in S if status not in FINISHED]
QUEUE_STATUSES = (S.NEW, S.IN_TRIAGE)
UNCATEGORISED = "Not yet categorised"
NOT_ASSESSED = "Not assessed"
RISK_LEVELS = [RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.STANDARD, ""]  # "": not assessed
HistoricalCase = Case.history.model


class Row(TypedDict):
    label: str
    count: int


class ChannelRow(TypedDict):
    label: str
    last_hour: int
    today: int


class ReportFigures(TypedDict):
    last_hour: int
    today: int  # since local midnight
    by_channel: list[ChannelRow]


class QueueFigures(TypedDict):
    length: int  # new and in triage
    unclaimed: int
    in_triage: int
    oldest_waiting_seconds: int | None  # of the oldest unclaimed case; None when none waits


class ReferralFigures(TypedDict):
    pending: int
    overdue: int  # pending past their deadline to accept or decline


class ActivityRow(TypedDict):
    label: str  # a username for a helpline's supervisors, a helpline's name for monitors
    claims: int
    verifications: int


class ActivityFigures(TypedDict):
    by: str  # "operator" | "helpline"
    claims: int
    verifications: int
    rows: list[ActivityRow]


class OpenCaseFigures(TypedDict):
    queue: QueueFigures
    sla_breaches: int  # unclaimed past their priority's target (triage.services)
    open_cases: int
    by_status: list[Row]
    by_category: list[Row]
    by_helpline: list[Row]
    by_risk: list[Row]  # every level and "Not assessed", in that order, zeros included


class LiveFigures(OpenCaseFigures):
    generated_at: str  # ISO 8601: the moment every figure was counted at
    reports: ReportFigures
    referrals: ReferralFigures
    activity: ActivityFigures


def live_figures(user: AnyUser) -> LiveFigures:
    """The dashboard of a user who may see figures (PermissionDenied otherwise), as of now.

    Exact for a helpline's own supervisors, who see the people in its cases anyway; for everyone
    else (monitors, who oversee every helpline and pass the figures on) suppressed as the snapshot's
    shareable figures are (dashboards.reports.shareable_only, dashboards.suppression): on the page,
    its tiles and every message of /ws/dashboard/ alike, as all of them read this."""
    figures = counted_figures(user)
    return share(figures) if shareable_only(user) else figures


def counted_figures(user: AnyUser) -> LiveFigures:
    """The exact counts behind live_figures, which alone decides what the user is shown."""
    if not isinstance(user, User) or not can_view_figures(user):
        raise PermissionDenied
    now = timezone.now()
    cases = counted_cases(user)
    return LiveFigures(
        generated_at=now.isoformat(),
        reports=_reports(cases, now),
        referrals=_referrals(cases, now),
        activity=_activity(_names_staff(user), cases, now),
        **_open_cases(cases, now),
    )


def share(figures: LiveFigures, limit: int | None = None) -> LiveFigures:
    """A copy of the figures with small counts shown as "<N", and withheld wherever a total would
    give them away: each table's rows and columns with their totals, and the same count shown in
    two places (the queue and the open cases by status). The oldest wait goes with a withheld
    number of reports waiting."""
    shared = copy.deepcopy(figures)
    table = Table(threshold(limit))
    reports, queue, activity = shared["reports"], shared["queue"], shared["activity"]
    cell = table.cell
    channels = reports["by_channel"]
    for column in ("last_hour", "today"):
        table.relate([cell(reports, column)], [cell(row, column) for row in channels])
    for row in channels:  # what came in the last hour came in today (but in the first hour)
        table.relate([cell(row, "today")], [cell(row, "last_hour")], AT_LEAST)
    statuses = dict(zip(OPEN_STATUSES, shared["by_status"], strict=True))
    unclaimed, in_triage = cell(queue, "unclaimed"), cell(queue, "in_triage")
    table.relate([cell(queue, "length")], [unclaimed, in_triage])
    for same, row in ((unclaimed, statuses[S.NEW]), (in_triage, statuses[S.IN_TRIAGE])):
        table.relate([same], [cell(row, "count")])
        table.relate([cell(row, "count")], [same])
    table.relate([unclaimed], [cell(shared, "sla_breaches")], AT_LEAST)
    for breakdown in ("by_status", "by_category", "by_helpline", "by_risk"):
        rows = [cell(row, "count") for row in shared[breakdown]]  # type: ignore[literal-required]
        table.relate([cell(shared, "open_cases")], rows)
    referrals = shared["referrals"]
    table.relate([cell(referrals, "pending")], [cell(referrals, "overdue")], AT_LEAST)
    for column in ("claims", "verifications"):
        table.relate([cell(activity, column)], [cell(row, column) for row in activity["rows"]])
    table.apply()
    if is_withheld(queue["unclaimed"]):
        # as a snapshot's time loses its percentiles with its count: the oldest of a few waiting
        # is nearly one report's own time
        queue["oldest_waiting_seconds"] = None
    return shared


def _names_staff(user: User) -> bool:
    """A helpline's supervisors manage its operators by name; monitors oversee helplines, not
    people, and see each helpline's totals."""
    return user.organisation is not None and user.organisation.kind == Organisation.Kind.HELPLINE


def watch_group(user: User) -> str | None:
    """The dashboard group whose changes reach this user's figures: a monitor's counts every
    helpline, a supervisor's their own; None for anyone without a live dashboard (a CSO's figures,
    should one be granted them, are of referred cases no case event names it for)."""
    if not can_view_figures(user) or user.organisation is None:
        return None
    if user.organisation.kind == Organisation.Kind.MONITOR:
        return DASHBOARD_ALL_GROUP
    if user.organisation.kind == Organisation.Kind.HELPLINE:
        return dashboard_helpline_group(user.organisation.pk)
    return None


def dashboard_watcher(session_key: str) -> tuple[User, str] | None:
    """The user of this session and their dashboard group, if they may watch a live dashboard now:
    signed in, active, past the second factor (accounts.sessions), allowed figures in an active
    organisation. Read afresh on every call, so a lost right shows at the next check."""
    user = verified_users([session_key]).get(session_key)
    group = watch_group(user) if user is not None else None
    return (user, group) if user is not None and group is not None else None


# The figures --------------------------------------------------------------------------------------


def _open_cases(cases: QuerySet[Case], now: datetime) -> OpenCaseFigures:
    """Queue, SLA breaches and the open cases by status, category, helpline and risk level (the
    latest assessment's, or not assessed), from one GROUP BY
    over ids (a few hundred groups at most, however many cases), then the names of the handful of
    categories and helplines in it: joined into the count, they would cost more than the count."""
    groups = list(
        cases.filter(status__in=OPEN_STATUSES)
        .values("helpline_id", "category_id", "status", "risk_level")
        .annotate(
            count=Count("*"),
            oldest_new=Min("created_at", filter=Q(status=S.NEW)),
            overdue=Count("created_at", filter=overdue_unclaimed(now)),
        )
        .order_by()
    )
    by_status = dict.fromkeys(OPEN_STATUSES, 0)
    by_category: Counter[int | None] = Counter()
    by_helpline: Counter[int] = Counter()
    by_risk = dict.fromkeys(RISK_LEVELS, 0)
    for group in groups:
        by_status[group["status"]] += group["count"]
        by_risk[group["risk_level"]] += group["count"]
        by_category[group["category_id"]] += group["count"]
        by_helpline[group["helpline_id"]] += group["count"]
    oldest = min((g["oldest_new"] for g in groups if g["oldest_new"] is not None), default=None)
    labels = dict(Category.objects.filter(pk__in=by_category).values_list("pk", "label"))
    names = dict(Organisation.objects.filter(pk__in=by_helpline).values_list("pk", "name"))
    by_label: Counter[str] = Counter()
    for category_id, count in by_category.items():
        by_label[labels.get(category_id, UNCATEGORISED) if category_id else UNCATEGORISED] += count
    return OpenCaseFigures(
        queue=QueueFigures(
            length=sum(by_status[status] for status in QUEUE_STATUSES),
            unclaimed=by_status[S.NEW],
            in_triage=by_status[S.IN_TRIAGE],
            oldest_waiting_seconds=max(0, int((now - oldest).total_seconds())) if oldest else None,
        ),
        sla_breaches=sum(group["overdue"] for group in groups),
        open_cases=sum(by_status.values()),
        by_status=[Row(label=S(status).label, count=n) for status, n in by_status.items()],
        by_category=[
            Row(label=label, count=n)
            for label, n in sorted(by_label.items(), key=lambda item: (-item[1], item[0]))
        ],
        by_helpline=[
            Row(label=names[pk], count=by_helpline[pk])
            for pk in sorted(by_helpline, key=lambda pk: (names[pk], pk))
        ],
        by_risk=[
            Row(label=RiskLevel(level).label if level else NOT_ASSESSED, count=n)
            for level, n in by_risk.items()
        ],
    )


def _reports(cases: QuerySet[Case], now: datetime) -> ReportFigures:
    """Reports received (every SMS, call, form... not only those that opened a case) in the last
    hour and since local midnight, by channel, in one pass over the reports of that window."""
    hour_ago = now - timedelta(hours=1)
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    channels = Case.Channel
    # Counting "channel", not the key: an index holding received_at and channel answers alone.
    counts = Report.objects.filter(
        received_at__gte=min(hour_ago, midnight), case__in=cases
    ).aggregate(
        **{
            f"hour_{channel}": Count(
                "channel", filter=Q(channel=channel, received_at__gte=hour_ago)
            )
            for channel in channels
        },
        **{
            f"today_{channel}": Count(
                "channel", filter=Q(channel=channel, received_at__gte=midnight)
            )
            for channel in channels
        },
    )
    rows = [
        ChannelRow(label=c.label, last_hour=counts[f"hour_{c}"], today=counts[f"today_{c}"])
        for c in channels
    ]
    return ReportFigures(
        last_hour=sum(row["last_hour"] for row in rows),
        today=sum(row["today"] for row in rows),
        by_channel=rows,
    )


def _referrals(cases: QuerySet[Case], now: datetime) -> ReferralFigures:
    counts = Referral.objects.filter(status=Referral.Status.PENDING, case__in=cases).aggregate(
        pending=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=now))
    )
    return ReferralFigures(pending=counts["pending"], overdue=counts["overdue"])


def _activity(by_operator: bool, cases: QuerySet[Case], now: datetime) -> ActivityFigures:
    """Claims and verifications in the last hour: the history rows that moved a case into triage or
    to verified, compared with the row before (saving details while in triage is no claim, nor is
    a reassignment), by operator or by helpline."""
    previous_status = Subquery(
        HistoricalCase.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("status")[:1]
    )
    moves = (
        HistoricalCase.objects.filter(
            history_date__gte=now - timedelta(hours=1),
            history_type="~",
            status__in=(S.IN_TRIAGE, S.VERIFIED),
            history_user__isnull=False,
            id__in=cases.values("pk"),
        )
        .annotate(previous_status=previous_status)
        .filter(Q(previous_status__isnull=True) | ~Q(previous_status=F("status")))
    )
    # Helplines by id as well as name: two may share a name.
    keys = ["history_user__username"] if by_operator else ["helpline__name", "helpline_id"]
    grouped = (
        moves.values(*keys)
        .annotate(
            claims=Count("pk", filter=Q(status=S.IN_TRIAGE)),
            verifications=Count("pk", filter=Q(status=S.VERIFIED)),
        )
        .order_by(*keys)
    )
    rows = [
        ActivityRow(label=row[keys[0]], claims=row["claims"], verifications=row["verifications"])
        for row in grouped
    ]
    return ActivityFigures(
        by="operator" if by_operator else "helpline",
        claims=sum(row["claims"] for row in rows),
        verifications=sum(row["verifications"] for row in rows),
        rows=rows,
    )
