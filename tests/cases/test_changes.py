"""Changing a case's details after triage (issue 12 item 1): flags, further categories, and the
whole change of cases.changes with its version check, policy and history."""

from __future__ import annotations

import pytest

from cases.flags import set_categories, set_flags
from cases.models import Case, CaseFlag
from cases.workflow import CaseError, ReadOnlyError
from tests.factories import CaseFactory, category

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(helpline) -> Case:
    return CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, category=category())


def test_set_flags_adds_and_removes_with_history_and_one_version(
    case, operator, captured_broadcasts
):
    set_flags(case=case, actor=operator, add=["high_risk", "weapon"], reason="Told on the phone")
    case.refresh_from_db()
    assert case.version == 2
    assert sorted(case.flag_links.values_list("flag__code", flat=True)) == ["high_risk", "weapon"]
    set_flags(case=case, actor=operator, remove=["weapon"], reason="Was a misunderstanding")
    case.refresh_from_db()
    assert case.version == 3
    rows = CaseFlag.history.filter(case_id=case.pk).order_by("history_date")
    assert [(r.history_type, r.history_change_reason) for r in rows] == [
        ("+", "Told on the phone"),
        ("+", "Told on the phone"),
        ("-", "Was a misunderstanding"),
    ]
    assert all(r.history_user == operator for r in rows)
    assert case.history.first().history_change_reason == "Was a misunderstanding"


def test_set_flags_that_changes_nothing_keeps_the_version(case, operator):
    set_flags(case=case, actor=operator, remove=["weapon"], reason="Not there")
    case.refresh_from_db()
    assert case.version == 1


def test_set_flags_refuses_unknown_codes_and_a_blank_reason(case, operator):
    with pytest.raises(CaseError, match="Unknown flags: nonsense") as refused:
        set_flags(case=case, actor=operator, add=["high_risk", "nonsense"], reason="Why")
    assert refused.value.details == {"flags": ["Unknown code: nonsense."]}
    with pytest.raises(CaseError, match="Say why"):
        set_flags(case=case, actor=operator, add=["high_risk"], reason="  ")
    assert not case.flag_links.exists()


def test_set_flags_refuses_a_merged_case(case, operator):
    Case.objects.filter(pk=case.pk).update(status=Case.Status.MERGED)
    with pytest.raises(ReadOnlyError):
        set_flags(case=case, actor=operator, add=["high_risk"], reason="Why")


def test_set_categories_keeps_the_primary_apart(case, operator):
    set_categories(case=case, actor=operator, codes=["physical", "economic"], reason="Also money")
    case.refresh_from_db()
    assert case.category.code == "physical"
    assert list(case.other_categories.values_list("category__code", flat=True)) == ["economic"]
    assert case.version == 2
