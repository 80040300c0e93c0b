"""Routing (issue 13 item 5): which team's queue a new case goes to. A helpline's active rules are
tried by position; a rule matches when every condition it sets matches the case; the first match
wins. No match, or a match whose team is switched off, leaves the case in the shared queue.

Routing runs when a case opens (only its channel is known then) and again as its details arrive
(a web report's category, a staff-opened case's victim language, a feed row's force). It never
undoes a person's choice: once someone has moved the case by hand (cases.teams), routing leaves
it where they put it."""

from __future__ import annotations

from functools import cache

from django.contrib.auth.base_user import AbstractBaseUser

from cases.models import Case, CaseCategory, CasePerson, ExternalReference, RoutingRule, Team
from cases.moves import case_summary
from notifications import realtime
from project.history import attribute_change

# A move by hand (cases.teams) writes its history reason with this prefix; routing looks for it to
# know that a person has decided and it must not change the team again.
MOVED_BY_HAND = "Moved to "
# the reference type whose issuer is a force (cases migration 0016 seeds it)
CRIME_NUMBER = "crime_number"


def routed_reason(team: Team, rule: RoutingRule) -> str:
    return f"Routed to {team.name} by rule {rule.position}"


def assign_team(
    case: Case, *, force: str = "", actor: AbstractBaseUser | None = None
) -> Team | None:
    """Route the case and save its team (with a history reason) if that changes it; the console
    hears of a change after commit. Call it inside the transaction that opened or filled in the
    case. `force` is the police force of a feed row (other channels have none). Returns the team
    the case is in afterwards (None: the shared queue)."""
    changed = route(case, force=force, actor=actor)
    if changed:
        realtime.broadcast_case_event(
            case.helpline_id, realtime.CaseEvent(type="case.updated", case=case_summary(case))
        )
    return case.team


def route(case: Case, *, force: str = "", actor: AbstractBaseUser | None = None) -> bool:
    """assign_team without the broadcast, for opening a case, whose own event follows. Returns
    whether the team changed."""
    rules = list(
        RoutingRule.objects.filter(
            helpline_id=case.helpline_id, is_active=True, team__is_active=True
        )
        .select_related("team")
        .order_by("position", "pk")
    )
    if not rules and case.team_id is None:
        return False  # a helpline without routing: one query, nothing else
    if _moved_by_hand(case):
        return False
    rule = first_match(rules, case, force=force)
    team = rule.team if rule is not None else None
    if (team.pk if team else None) == case.team_id:
        return False
    case.team = team
    reason = routed_reason(team, rule) if team and rule else "No routing rule matches: shared queue"
    attribute_change(case, actor=actor, reason=reason)
    case.save(update_fields=["team", "updated_at"])
    return True


def first_match(rules: list[RoutingRule], case: Case, *, force: str = "") -> RoutingRule | None:
    """The first of `rules` (already in order) whose every condition holds. What a condition needs
    from the database beyond the case row is read once, and only if some rule asks for it."""
    categories = cache(lambda: _categories(case))
    languages = cache(lambda: _victim_languages(case))
    # a feed row's force when it opens the case; routed again later (verification), the force
    # that issued its crime number, so a feed case keeps its force's team
    forces = cache(lambda: {force.strip().casefold()} if force.strip() else _issuing_forces(case))
    for rule in rules:
        if rule.force and rule.force.strip().casefold() not in forces():
            continue
        if rule.area_id and rule.area_id != case.area_id:
            continue
        if rule.channel and rule.channel != case.channel:
            continue
        if rule.category_id and rule.category_id not in categories():
            continue
        if rule.language_id and rule.language_id not in languages():
            continue
        return rule
    return None


def _categories(case: Case) -> set[int]:
    """The case's category and its further ones."""
    found = set(CaseCategory.objects.filter(case_id=case.pk).values_list("category_id", flat=True))
    if case.category_id:
        found.add(case.category_id)
    return found


def _issuing_forces(case: Case) -> set[str]:
    issued = ExternalReference.objects.filter(case_id=case.pk, kind__code=CRIME_NUMBER).values_list(
        "issued_by", flat=True
    )
    return {force.strip().casefold() for force in issued if force.strip()}


def _victim_languages(case: Case) -> set[int]:
    return set(
        CasePerson.objects.filter(
            case_id=case.pk, role=CasePerson.Role.VICTIM, person__language__isnull=False
        ).values_list("person__language_id", flat=True)
    )


def _moved_by_hand(case: Case) -> bool:
    return case.history.filter(history_change_reason__startswith=MOVED_BY_HAND).exists()
