"""Teams' queues (issue 13 item 5): a case moved to another team by hand, with a reason, and the
reads the console needs: which cases a queue shows for the teams a user chose, and what each of
a helpline's staff holds. Routing a new case is cases.routing's."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Organisation, User
from cases.models import Case, RoutingRule, Team
from cases.moves import case_summary, lock_case, require
from cases.policy import can_move_team, visible_cases
from cases.routing import MOVED_BY_HAND
from cases.workflow import CaseError
from notifications import realtime
from project.history import attribute_change

SHARED_QUEUE = "the shared queue"
# Open cases someone took and still carries (new ones are nobody's yet).
CARRIED_STATUSES = (
    Case.Status.IN_TRIAGE,
    Case.Status.VERIFIED,
    Case.Status.REFERRED,
    Case.Status.IN_SERVICE,
    Case.Status.RESOLVED,
)


@transaction.atomic
def move_case_to_team(*, case: Case, team: Team | None, actor: User, reason: str) -> Case:
    """Put the case in `team`'s queue (None: the shared queue). Routing never moves it again
    afterwards. Moving it where it already is changes nothing, so a repeat is harmless."""
    locked = lock_case(case)
    require(
        can_move_team(actor, locked),
        locked,
        "Only a supervisor or the operator holding the case can move it to another team.",
    )
    reason = reason.strip()
    if not reason:
        raise CaseError("Say why the case moves to another team.")
    if team is not None and (team.helpline_id != locked.helpline_id or not team.is_active):
        raise CaseError("Choose one of this helpline's active teams, or the shared queue.")
    if (team.pk if team else None) == locked.team_id:
        return locked
    locked.team = team
    attribute_change(locked, actor=actor, reason=f"{MOVED_BY_HAND}{team or SHARED_QUEUE}: {reason}")
    locked.save(update_fields=["team", "updated_at"])
    realtime.broadcast_case_event(
        locked.helpline_id, realtime.CaseEvent(type="case.updated", case=case_summary(locked))
    )
    return locked


def helpline_teams(helpline_id: int | None) -> QuerySet[Team]:
    """A helpline's active teams, by name: what a case may be moved to."""
    return Team.objects.filter(helpline_id=helpline_id, is_active=True).order_by("name")


def my_teams(user: User) -> QuerySet[Team]:
    return helpline_teams(user.organisation_id).filter(members=user)


@dataclass(frozen=True)
class QueueScope:
    """Which teams' cases a queue shows. `choice` is what the page's URL carries: "" (the user's
    own teams and the shared queue), "all", "shared", or a team's id."""

    choice: str
    label: str
    team_ids: frozenset[int] | None  # None: every team
    shared: bool  # cases in no team's queue

    def apply(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        if self.team_ids is None:
            return cases if self.shared else cases.exclude(team=None)
        wanted = Q(team_id__in=self.team_ids)
        return cases.filter(wanted | Q(team=None) if self.shared else wanted)


ALL_TEAMS = QueueScope("all", "All teams", None, True)
SHARED_ONLY = QueueScope("shared", "The shared queue", frozenset(), True)


def queue_scope(user: User, choice: str = "") -> QueueScope:
    """The scope a queue shows this user for the choice in its URL. Operators see their own teams
    and the shared queue, whatever they ask for; supervisors may choose all teams, the shared
    queue or one team, and see all teams when they belong to none."""
    mine = {team.pk: team.name for team in my_teams(user)}
    if user.has_perm("cases.supervise_case"):
        if choice == ALL_TEAMS.choice:
            return ALL_TEAMS
        if choice == SHARED_ONLY.choice:
            return SHARED_ONLY
        team = helpline_teams(user.organisation_id).filter(pk=_as_id(choice)).first()
        if team is not None:
            return QueueScope(str(team.pk), team.name, frozenset({team.pk}), False)
        if not mine:
            return ALL_TEAMS
    names = ", ".join(mine.values())
    label = f"Your teams ({names}) and the shared queue" if mine else "The shared queue"
    return QueueScope("", label, frozenset(mine), True)


def scope_choices(user: User) -> list[tuple[str, str]]:
    """What a supervisor's team picker offers (operators get no picker)."""
    if not user.has_perm("cases.supervise_case"):
        return []
    choices = [(ALL_TEAMS.choice, ALL_TEAMS.label), (SHARED_ONLY.choice, SHARED_ONLY.label)]
    if my_teams(user).exists():
        choices.insert(0, ("", "Your teams and the shared queue"))
    return choices + [(str(team.pk), team.name) for team in helpline_teams(user.organisation_id)]


def team_queue(user: User, team: Team) -> QuerySet[Case]:
    """The cases waiting in one team's queue, as far as the user may see them."""
    return visible_cases(user).filter(
        team=team, status__in=(Case.Status.NEW, Case.Status.IN_TRIAGE)
    )


def _as_id(choice: str) -> int | None:
    return int(choice) if choice.isdigit() and len(choice) < 10 else None


@dataclass(frozen=True)
class Workload:
    member: User
    in_triage: int  # cases they hold now
    carried: int  # open cases they took (in triage and on), not yet closed
    teams: list[str]


def workload(helpline: Organisation) -> list[Workload]:
    """Per operator and supervisor of the helpline: what they hold and which teams they are in.
    Two queries however many people."""
    teams = Team.objects.filter(helpline=helpline, is_active=True).order_by("name")
    staff = (
        User.objects.filter(
            organisation=helpline,
            is_active=True,
            role__in=[User.Role.OPERATOR, User.Role.SUPERVISOR],
        )
        .annotate(
            in_triage=Count(
                "claimed_cases",
                filter=Q(claimed_cases__status=Case.Status.IN_TRIAGE),
            ),
            carried=Count("claimed_cases", filter=Q(claimed_cases__status__in=CARRIED_STATUSES)),
        )
        .prefetch_related(Prefetch("teams", queryset=teams, to_attr="active_teams"))
        .order_by("username")
    )
    return [
        Workload(
            member=member,
            in_triage=member.in_triage,  # type: ignore[attr-defined]
            carried=member.carried,  # type: ignore[attr-defined]
            teams=[team.name for team in member.active_teams],  # type: ignore[attr-defined]
        )
        for member in staff
    ]


def routing_rules(helpline: Organisation) -> QuerySet[RoutingRule]:
    """A helpline's rules in the order they are tried, for supervisors to read (admins edit)."""
    return (
        RoutingRule.objects.filter(helpline=helpline)
        .select_related("team", "area", "category", "language")
        .order_by("position", "pk")
    )


def describe_rule(rule: RoutingRule) -> str:
    """A rule's conditions in words, for the team page."""
    channels = dict(Case.Channel.choices)
    parts = [
        f"force is {rule.force}" if rule.force else "",
        f"area is {rule.area}" if rule.area_id else "",
        f"category is {rule.category}" if rule.category_id else "",
        f"the victim speaks {rule.language}" if rule.language_id else "",
        f"channel is {channels.get(rule.channel, rule.channel)}" if rule.channel else "",
    ]
    return "; ".join(part for part in parts if part) or "any case"
