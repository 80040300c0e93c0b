"""A case of the North Helpline in service with Safe Haven, and answers to the seeded questionnaire."""

from __future__ import annotations

import pytest

from cases.models import Case
from risk.models import Answer, Question, Questionnaire
from tests.factories import CaseFactory, ReferralFactory


@pytest.fixture
def questions(db: None) -> list[Question]:
    questionnaire = Questionnaire.objects.get(is_active=True)
    return list(questionnaire.questions.filter(is_active=True))


def answers(questions: list[Question], yes: int = 0, *, critical: bool = False) -> dict[str, str]:
    """Yes to the first `yes` non-critical questions (and to one critical one if asked), no or
    don't know to the rest."""
    plain = [q for q in questions if not q.critical]
    chosen = {q.pk for q in plain[:yes]}
    if critical:
        chosen.add(next(q.pk for q in questions if q.critical))
    return {
        str(q.pk): Answer.YES if q.pk in chosen else (Answer.UNKNOWN if i % 2 else Answer.NO)
        for i, q in enumerate(questions)
    }


@pytest.fixture
def case(helpline, operator) -> Case:
    return CaseFactory(
        helpline=helpline, status=Case.Status.VERIFIED, priority=Case.Priority.STANDARD
    )


@pytest.fixture
def served_case(case, cso, supervisor) -> Case:
    ReferralFactory(case=case, organisation=cso, referred_by=supervisor)
    case.status = Case.Status.IN_SERVICE
    case.save(update_fields=["status"])
    return case
