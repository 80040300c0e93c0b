"""Completing a risk assessment: the one write of this app. It checks every active question was
answered, scores the answers with the questionnaire's rules, keeps the assessment (repeats are new
rows), and sets the case's risk: level, score and date, priority raised (never lowered) and the
high-risk flag set when high, history with the reason, the console told after commit and, when a
case becomes high risk, its helpline's supervisors alerted (no names) to consider a MARAC referral."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import staff_with
from cases.flags import apply_flags, bump_version
from cases.models import Case, RiskLevel
from cases.moves import lock_case, require
from cases.policy import can_assess_risk
from cases.workflow import CaseError, ConflictError
from notifications.services import notify_staff
from project.history import attribute_change
from risk.models import Answer, Assessment, Question, Questionnaire

HIGH_RISK_FLAG = "high_risk"


class RiskError(CaseError):
    """A risk assessment refused for a reason the person completing it can fix (400)."""


class NoQuestionnaireError(ConflictError):
    """No questionnaire is active: an administrator must switch one on (409)."""

    def __init__(self) -> None:
        super().__init__("No risk questionnaire is in use: ask an administrator to switch one on.")


class AnswersError(RiskError):
    """Questions left unanswered, answered with something else than yes, no or don't know, or
    not on the questionnaire: 400 naming each by question id."""

    def __init__(self, *, missing: list[int], invalid: list[str], unknown: list[str]) -> None:
        self.missing, self.invalid, self.unknown = missing, invalid, unknown
        parts = []
        if missing:
            parts.append(f"{len(missing)} question{'s' if len(missing) != 1 else ''} not answered")
        if invalid:
            parts.append("answers must be yes, no or don't know")
        if unknown:
            parts.append("answers to questions not on the questionnaire")
        super().__init__(f"Answer every question: {'; '.join(parts)}.")

    @property
    def details(self) -> dict[str, object]:
        found: dict[str, object] = {"missing": self.missing}
        if self.invalid:
            found["invalid"] = self.invalid
        if self.unknown:
            found["unknown"] = self.unknown
        return found


@dataclass(frozen=True)
class Outcome:
    score: int
    out_of: int
    level: str


def active_questionnaire() -> tuple[Questionnaire, list[Question]]:
    """The questionnaire in use and its active questions, in order (NoQuestionnaireError if none)."""
    questionnaire = Questionnaire.objects.filter(is_active=True).first()
    if questionnaire is None:
        raise NoQuestionnaireError
    return questionnaire, list(questionnaire.questions.filter(is_active=True))


def check_answers(
    questions: Sequence[Question], answers: Mapping[object, object]
) -> dict[str, str]:
    """The answers keyed by question id (as text), one per active question (AnswersError otherwise)."""
    given = {str(key).strip(): value for key, value in answers.items()}
    wanted = {str(question.pk) for question in questions}
    missing = [q.pk for q in questions if given.get(str(q.pk)) in (None, "")]
    invalid = sorted(
        key for key, value in given.items()
        if key in wanted and value not in ("", None) and value not in Answer.values
    )  # fmt: skip
    unknown = sorted(given.keys() - wanted)
    if missing or invalid or unknown:
        raise AnswersError(missing=missing, invalid=invalid, unknown=unknown)
    return {key: str(given[key]) for key in sorted(wanted, key=int)}


def score(
    questionnaire: Questionnaire, questions: Sequence[Question], answers: Mapping[str, str],
    *, professional_judgement: bool = False,
) -> Outcome:  # fmt: skip
    """The yes answers to questions that count, and the level: high at the high threshold or on
    professional judgement; medium at the medium threshold or a yes to a critical question."""
    yes = [q for q in questions if answers.get(str(q.pk)) == Answer.YES]
    points = sum(1 for q in yes if q.counts)
    if professional_judgement or points >= questionnaire.high_threshold:
        level = RiskLevel.HIGH
    elif points >= questionnaire.medium_threshold or any(q.critical for q in yes):
        level = RiskLevel.MEDIUM
    else:
        level = RiskLevel.STANDARD
    return Outcome(score=points, out_of=sum(1 for q in questions if q.counts), level=level)


@transaction.atomic
def complete_assessment(
    *, case: Case, actor: User, answers: Mapping[object, object],
    professional_judgement: bool = False, judgement_reason: str = "", notes: str = "",
) -> Assessment:  # fmt: skip
    """Keep a completed assessment and make it the case's current risk."""
    locked = lock_case(case)
    require(can_assess_risk(actor, locked), locked, "You cannot assess risk on this case.")
    questionnaire, questions = active_questionnaire()
    checked = check_answers(questions, answers)
    judgement_reason = judgement_reason.strip()
    if professional_judgement and not judgement_reason:
        raise RiskError("Say why your professional judgement makes this high risk.")
    outcome = score(
        questionnaire, questions, checked, professional_judgement=professional_judgement
    )
    reason = f"Risk assessment: {outcome.level} ({outcome.score} of {outcome.out_of})"
    if professional_judgement:
        reason += ", high on professional judgement"

    assessment = Assessment(
        case=locked, questionnaire=questionnaire, answers=checked, notes=notes.strip(),
        professional_judgement=professional_judgement,
        judgement_reason=judgement_reason if professional_judgement else "",
        score=outcome.score, out_of=outcome.out_of, level=outcome.level, completed_by=actor,
        completed_at=timezone.now(),
    )  # fmt: skip
    attribute_change(assessment, actor=actor, reason=reason)
    assessment.save()

    became_high = outcome.level == RiskLevel.HIGH and locked.risk_level != RiskLevel.HIGH
    _set_case_risk(locked, assessment, actor=actor, reason=reason)
    if outcome.level == RiskLevel.HIGH:
        apply_flags(locked, actor=actor, add=[HIGH_RISK_FLAG], reason=reason)
    bump_version(locked, actor, reason)
    if became_high:
        notify_staff(
            users=staff_with(locked.helpline_id, "cases.supervise_case"),
            kind="case.high_risk",
            case_number=locked.number,
            text=f"Case {locked.number} was assessed as high risk: consider a MARAC referral",
        )
    return assessment


def _set_case_risk(locked: Case, assessment: Assessment, *, actor: User, reason: str) -> None:
    """The case carries the latest outcome; high risk raises its priority, nothing lowers it."""
    locked.risk_level = assessment.level
    locked.risk_score = assessment.score
    locked.risk_assessed_at = assessment.completed_at
    fields = ["risk_level", "risk_score", "risk_assessed_at", "updated_at"]
    if assessment.level == RiskLevel.HIGH and locked.priority != Case.Priority.HIGH:
        locked.priority = Case.Priority.HIGH
        fields.append("priority")
    attribute_change(locked, actor=actor, reason=reason)
    locked.save(update_fields=fields)
