"""Legal holds (SECURITY DP-08): placed and lifted with a reason by those with
privacy.manage_retention, history kept; a hold on a person holds every case they are on, and a
person also on a live case keeps their details when another of their cases is anonymised."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, CasePerson
from cases.workflow import NotAllowedError
from privacy import retention
from privacy.holds import HoldError, lift_hold, place_hold
from privacy.models import Category, RetentionRule
from privacy.retention_anonymise import anonymise_case
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory

pytestmark = pytest.mark.django_db


def old_closed(helpline) -> Case:
    days = RetentionRule.objects.get(category=Category.CASE_CONTENT).days
    return CaseFactory(
        helpline=helpline,
        status=Case.Status.CLOSED,
        closed_at=timezone.now() - timedelta(days=days + 1),
    )


def test_only_supervisors_and_dpos_place_holds(operator, supervisor, dpo) -> None:
    case = old_closed(operator.organisation)
    with pytest.raises(NotAllowedError):
        place_hold(actor=operator, reason="Made-up", case=case)
    with pytest.raises(HoldError):
        place_hold(actor=supervisor, reason="  ", case=case)
    hold = place_hold(actor=supervisor, reason="Made-up order", case=case)
    with pytest.raises(HoldError):
        place_hold(actor=dpo, reason="Again", case=case)
    with pytest.raises(HoldError):
        lift_hold(hold=hold, actor=dpo, reason="")
    lifted = lift_hold(hold=hold, actor=dpo, reason="Made-up: over")
    assert "Lifted: Made-up: over" in lifted.reason
    reasons = list(lifted.history.values_list("history_change_reason", flat=True))
    assert reasons == ["Legal hold lifted", "Legal hold placed"]
    with pytest.raises(HoldError):
        lift_hold(hold=lifted, actor=dpo, reason="Twice")


def test_a_person_hold_holds_every_case_of_that_person(supervisor) -> None:
    person = PersonFactory()
    first, second = old_closed(supervisor.organisation), old_closed(supervisor.organisation)
    CasePersonFactory(case=first, person=person)
    CasePersonFactory(case=second, person=person, role=CasePerson.Role.REPORTER)
    unrelated = old_closed(supervisor.organisation)
    place_hold(actor=supervisor, reason="Made-up claim", person=person)

    days = RetentionRule.objects.get(category=Category.CASE_CONTENT).days
    due = set(retention.cases_content_due(days, timezone.now()))
    assert due == {unrelated}


def test_a_person_on_a_live_case_keeps_their_details(supervisor) -> None:
    person = PersonFactory(name="Madeup Keptname")
    old, live = old_closed(supervisor.organisation), CaseFactory(helpline=supervisor.organisation)
    CasePersonFactory(case=old, person=person)
    CasePersonFactory(case=live, person=person)
    only_old = PersonFactory(name="Madeup Gonename")
    CasePersonFactory(case=old, person=only_old)

    anonymise_case(old)

    person.refresh_from_db()
    only_old.refresh_from_db()
    assert person.name == "Madeup Keptname"
    assert person.tokens.exists()
    assert only_old.name == ""
    assert only_old.phone == ""
    assert not only_old.tokens.exists()
