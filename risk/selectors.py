"""Reads of risk assessments, through the access policy: a case's assessments for whoever may see
the case; answers, notes and the judgement's reason only for those who may see identities
(monitors get the level, score and date)."""

from __future__ import annotations

from django.db.models import QuerySet

from cases.models import Case
from cases.policy import AnyUser, can_see_identities
from risk.models import Assessment, Question


def list_assessments(case: Case) -> QuerySet[Assessment]:
    """A case the caller reached through cases.selectors: its assessments, newest first."""
    return Assessment.objects.filter(case=case).select_related("completed_by")


def reads_answers(user: AnyUser) -> bool:
    return can_see_identities(user)


def answered(assessment: Assessment) -> list[tuple[Question, str]]:
    """The questions of the assessment's questionnaire with the answer given to each, in order
    (a question retired since keeps its place; one added since has no answer and is left out)."""
    questions = assessment.questionnaire.questions.all()
    return [
        (q, assessment.answers[str(q.pk)]) for q in questions if str(q.pk) in assessment.answers
    ]
