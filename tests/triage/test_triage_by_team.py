"""Triage keeps to teams (issue 13 item 5): "Take next" takes from the operator's own queue (their
teams' cases and the shared queue, never another team's), and the details recorded at
verification route a case that only its channel had placed."""

from __future__ import annotations

import pytest

from cases.models import Case, RoutingRule, Team
from cases.services import IncidentDetails
from tests.factories import CaseFactory, category
from triage.services import Verification, claim_case, take_next, verify_case

pytestmark = pytest.mark.django_db


def test_take_next_never_takes_another_teams_case(helpline, operator) -> None:
    mine = Team.objects.create(helpline=helpline, name="North")
    mine.members.add(operator)
    theirs = Team.objects.create(helpline=helpline, name="South")
    CaseFactory(helpline=helpline, team=theirs, priority=Case.Priority.HIGH)  # the most urgent
    shared = CaseFactory(helpline=helpline)
    own = CaseFactory(helpline=helpline, team=mine)

    taken = [take_next(actor=operator), take_next(actor=operator), take_next(actor=operator)]

    assert {case.pk for case in taken if case} == {shared.pk, own.pk}
    assert taken[2] is None  # only the other team's case is left


def test_verification_routes_by_the_category_now_known(helpline, operator) -> None:
    physical = category("physical")
    specialists = Team.objects.create(helpline=helpline, name="Physical harm")
    RoutingRule.objects.create(helpline=helpline, team=specialists, position=1, category=physical)
    case = CaseFactory(helpline=helpline)
    claim_case(case=case, actor=operator)

    verify_case(
        case=case,
        actor=operator,
        verification=Verification(
            category=physical, priority=Case.Priority.STANDARD, incident=IncidentDetails()
        ),
    )

    case.refresh_from_db()
    assert case.team == specialists
    assert case.history.filter(history_change_reason="Routed to Physical harm by rule 1").exists()
