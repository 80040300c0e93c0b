"""The state machine: every allowed move works and leaves history; every other move is refused."""

from __future__ import annotations

import itertools

import pytest

from cases.models import Case
from cases.services import move_case
from cases.workflow import ALLOWED_MOVES, IllegalMoveError
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

S = Case.Status
CONTRACT_MOVES = {
    (S.NEW, S.IN_TRIAGE),
    (S.IN_TRIAGE, S.NEW),
    (S.IN_TRIAGE, S.DISCARDED),
    (S.IN_TRIAGE, S.VERIFIED),
    (S.VERIFIED, S.REFERRED),
    (S.REFERRED, S.IN_SERVICE),
    (S.IN_SERVICE, S.RESOLVED),
    (S.RESOLVED, S.CLOSED),
    (S.CLOSED, S.ARCHIVED),
    (S.CLOSED, S.VERIFIED),
    # extensions:
    (S.DISCARDED, S.NEW),  # a supervisor reinstates a wrongly discarded report
    (S.REFERRED, S.VERIFIED),  # every referral declined or withdrawn: refer again
    (S.RESOLVED, S.IN_SERVICE),  # the helpline sends a resolved case back
    # a duplicate is merged into another case (issue 12); unmerging is not a move of the table
    *(
        (status, S.MERGED)
        for status in (S.NEW, S.IN_TRIAGE, S.VERIFIED, S.REFERRED, S.IN_SERVICE, S.RESOLVED)
    ),
    (S.CLOSED, S.MERGED),
}
ALL_PAIRS = list(itertools.product(S.values, repeat=2))


def test_table_is_exactly_the_contract_and_its_extensions() -> None:
    table = {(a, b) for a, targets in ALLOWED_MOVES.items() for b in targets}
    assert table == CONTRACT_MOVES
    assert set(ALLOWED_MOVES) == set(S.values)


@pytest.mark.parametrize(("current", "target"), sorted(CONTRACT_MOVES))
def test_allowed_move_changes_status_and_leaves_history(
    current: str, target: str, operator, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    # given
    case = CaseFactory(helpline=operator.organisation, status=current)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        moved = move_case(case=case, to=target, actor=operator, reason="Because the test says so")

    # then
    case.refresh_from_db()
    assert case.status == moved.status == target
    record = case.history.latest()
    assert (record.history_user, record.history_change_reason) == (
        operator,
        "Because the test says so",
    )
    assert len(captured_broadcasts) == 2
    groups, event = captured_broadcasts[0]
    assert groups == [f"helpline.{case.helpline_id}"]
    assert event["case"]["number"] == case.number
    assert event["case"]["status"] == target
    # ...and the dashboards counting that helpline hear that their figures changed, nothing more
    assert captured_broadcasts[1] == (
        ["dashboard.all", f"dashboard.helpline.{case.helpline_id}"],
        {"type": "figures.changed"},
    )


@pytest.mark.parametrize(("current", "target"), [p for p in ALL_PAIRS if p not in CONTRACT_MOVES])
def test_forbidden_move_is_refused_without_trace(
    current: str, target: str, operator, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    # given
    case = CaseFactory(helpline=operator.organisation, status=current)
    history_before = case.history.count()

    # when
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(IllegalMoveError),
    ):
        move_case(case=case, to=target, actor=operator, reason="Should not happen")

    # then
    case.refresh_from_db()
    assert case.status == current
    assert case.history.count() == history_before
    assert callbacks == []
    assert captured_broadcasts == []


def test_claim_records_who_and_release_clears_it(operator) -> None:
    case = CaseFactory(helpline=operator.organisation)

    move_case(case=case, to=S.IN_TRIAGE, actor=operator, reason="Claimed")
    case.refresh_from_db()
    assert case.claimed_by == operator
    assert case.claimed_at is not None

    move_case(case=case, to=S.NEW, actor=operator, reason="Released")
    case.refresh_from_db()
    assert (case.claimed_by, case.claimed_at) == (None, None)


def test_a_stale_copy_cannot_replay_a_move(operator, supervisor) -> None:
    # given: two people hold the same new case in memory
    case = CaseFactory(helpline=operator.organisation)
    stale = Case.objects.get(pk=case.pk)

    # when: the first claims it
    move_case(case=case, to=S.IN_TRIAGE, actor=operator, reason="Claimed")

    # then: the second, acting on the old copy, is checked against the stored state
    with pytest.raises(IllegalMoveError):
        move_case(case=stale, to=S.IN_TRIAGE, actor=supervisor, reason="Claimed")
    case.refresh_from_db()
    assert case.claimed_by == operator
