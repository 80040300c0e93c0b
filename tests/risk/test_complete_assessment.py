"""complete_assessment: scoring, the case's risk, priority, the high-risk flag, the supervisors'
alert, repeats, refusals and who may assess."""

from __future__ import annotations

import pytest
from django.db import transaction

from cases.models import Case, RiskLevel
from cases.workflow import ConflictError, NotAllowedError
from notifications.models import Notification
from risk.models import Assessment, Questionnaire
from risk.services import AnswersError, RiskError, complete_assessment
from tests.factories import CasePersonFactory, PersonFactory, StaffFactory
from tests.risk.conftest import answers

pytestmark = pytest.mark.django_db


def assess(case, actor, questions, yes=0, **kwargs):
    return complete_assessment(
        case=case,
        actor=actor,
        answers=answers(questions, yes, critical=kwargs.pop("critical", False)),
        **kwargs,
    )


def test_the_seeded_questionnaire_has_27_questions_that_count_with_dash_thresholds(questions):
    questionnaire = Questionnaire.objects.get(is_active=True)
    assert len(questions) == 27
    assert all(q.counts for q in questions)
    assert (questionnaire.high_threshold, questionnaire.medium_threshold) == (14, 10)
    assert len({q.section for q in questions}) == 4
    assert {q.code for q in questions if q.critical} == {
        "getting_worse",
        "neck_or_breathing",
        "threat_to_kill",
        "weapon",
    }


def test_thirteen_yes_is_medium_not_high(case, operator, questions):
    assessment = assess(case, operator, questions, 13)
    assert (assessment.score, assessment.out_of, assessment.level) == (13, 27, RiskLevel.MEDIUM)
    assert not assessment.marac_prompt


def test_fourteen_yes_is_high(case, operator, questions):
    assessment = assess(case, operator, questions, 14)
    assert (assessment.score, assessment.level) == (14, RiskLevel.HIGH)
    assert assessment.marac_prompt


def test_dont_know_never_counts(case, operator, questions):
    assessment = assess(case, operator, questions, 0)
    assert assessment.score == 0
    assert assessment.level == RiskLevel.STANDARD
    assert "unknown" in assessment.answers.values()


def test_professional_judgement_makes_high_at_no_yes(case, operator, questions):
    assessment = assess(
        case, operator, questions, 0, professional_judgement=True,
        judgement_reason="Made-up: she says he has bought a gun.",
    )  # fmt: skip
    assert (assessment.score, assessment.level) == (0, RiskLevel.HIGH)
    assert assessment.judgement_reason == "Made-up: she says he has bought a gun."


def test_professional_judgement_needs_a_reason_and_stores_nothing(case, operator, questions):
    with pytest.raises(RiskError, match="professional judgement"):
        assess(case, operator, questions, 0, professional_judgement=True, judgement_reason=" ")
    assert not Assessment.objects.exists()


def test_a_yes_to_a_critical_question_is_at_least_medium(case, operator, questions):
    assessment = assess(case, operator, questions, 0, critical=True)
    assert (assessment.score, assessment.level) == (1, RiskLevel.MEDIUM)


def test_the_case_carries_the_latest_outcome_with_history_and_a_new_version(
    case, operator, questions
):
    version = case.version
    assessment = assess(case, operator, questions, 15)
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.HIGH
    assert case.risk_score == 15
    assert case.risk_assessed_at == assessment.completed_at
    assert case.version == version + 1
    reasons = set(case.history.values_list("history_change_reason", flat=True))
    assert "Risk assessment: high (15 of 27)" in reasons
    row = case.history.filter(risk_level=RiskLevel.HIGH).earliest("history_id")
    assert row.history_user == operator


def test_high_risk_raises_priority_and_nothing_lowers_it(case, operator, questions):
    assess(case, operator, questions, 14)
    case.refresh_from_db()
    assert case.priority == Case.Priority.HIGH
    assess(case, operator, questions, 0)
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.STANDARD
    assert case.priority == Case.Priority.HIGH


def test_medium_risk_leaves_priority_alone(case, operator, questions):
    assess(case, operator, questions, 10)
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.MEDIUM
    assert case.priority == Case.Priority.STANDARD


def test_high_risk_sets_the_flag_with_the_reason(case, operator, questions):
    assess(case, operator, questions, 16)
    link = case.flag_links.get(flag__code="high_risk")
    assert link.set_by == operator
    assert link.history.get().history_change_reason == "Risk assessment: high (16 of 27)"


def test_standard_risk_sets_no_flag(case, operator, questions):
    assess(case, operator, questions, 2)
    assert not case.flag_links.exists()


def test_supervisors_are_alerted_once_when_a_case_becomes_high_risk_without_names(
    case, operator, supervisor, questions, django_capture_on_commit_callbacks
):
    victim = PersonFactory(name="Canary Zelda Quint", phone="+447700900999")
    CasePersonFactory(case=case, person=victim)
    other_helpline_supervisor = StaffFactory(role="supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        assess(case, operator, questions, 14)
        assess(case, operator, questions, 20)  # still high: no second alert
    alerts = Notification.objects.filter(kind="case.high_risk")
    assert {row.recipient for row in alerts} == {supervisor}
    assert alerts.filter(channel="in_app").count() == 1
    for row in alerts:
        assert row.case_number == case.number
        assert "MARAC" in row.text
        assert "Canary" not in row.text
        assert "Zelda" not in row.text
        assert "900999" not in row.text
    assert not alerts.filter(recipient=other_helpline_supervisor).exists()


def test_falling_and_rising_again_alerts_again(case, operator, supervisor, questions):
    assess(case, operator, questions, 14)
    assess(case, operator, questions, 1)
    assess(case, operator, questions, 14)
    assert Notification.objects.filter(kind="case.high_risk", channel="in_app").count() == 2


def test_repeats_are_kept_newest_first(case, operator, questions):
    first = assess(case, operator, questions, 3)
    second = assess(case, operator, questions, 12)
    assert list(case.risk_assessments.all()) == [second, first]
    assert first.level == RiskLevel.STANDARD
    assert second.level == RiskLevel.MEDIUM


def test_missing_answers_are_listed_and_nothing_is_stored(case, operator, questions):
    version = case.version
    given = answers(questions, 14)
    dropped = [questions[0].pk, questions[5].pk]
    for pk in dropped:
        del given[str(pk)]
    with pytest.raises(AnswersError) as refused:
        complete_assessment(case=case, actor=operator, answers=given)
    assert refused.value.http_status == 400
    assert refused.value.details == {"missing": dropped}
    case.refresh_from_db()
    assert not Assessment.objects.exists()
    assert case.risk_level == ""
    assert case.version == version
    assert not case.flag_links.exists()


def test_answers_other_than_yes_no_dont_know_and_strange_questions_are_refused(
    case, operator, questions
):
    given = answers(questions)
    given[str(questions[2].pk)] = "maybe"
    given["999999"] = "yes"
    with pytest.raises(AnswersError) as refused:
        complete_assessment(case=case, actor=operator, answers=given)
    assert refused.value.details == {
        "missing": [],
        "invalid": [str(questions[2].pk)],
        "unknown": ["999999"],
    }
    assert not Assessment.objects.exists()


def test_a_retired_question_is_not_asked(case, operator, questions):
    retired = questions[0]
    retired.is_active = False
    retired.save()
    given = answers(questions[1:], 14)
    assessment = complete_assessment(case=case, actor=operator, answers=given)
    assert assessment.out_of == 26
    assert str(retired.pk) not in assessment.answers


def test_answers_notes_and_reason_are_encrypted_at_rest(case, operator, questions):
    assess(case, operator, questions, 14, notes="Made-up canary note Quixote")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT answers, notes FROM risk_assessment")
        raw_answers, raw_notes = cursor.fetchone()
    assert "Quixote" not in str(raw_notes)
    assert '"yes"' not in str(raw_answers)


def test_a_supervisor_and_the_cso_serving_the_case_may_assess(
    served_case, supervisor, cso_rep, questions
):
    assert assess(served_case, supervisor, questions, 1).completed_by == supervisor
    assert assess(served_case, cso_rep, questions, 1).completed_by == cso_rep


def test_a_monitor_and_a_cso_not_serving_may_not(served_case, monitor, other_cso_rep, questions):
    for outsider in (monitor, other_cso_rep):
        with pytest.raises(NotAllowedError):
            assess(served_case, outsider, questions, 1)
    assert not Assessment.objects.exists()


def test_an_operator_while_another_holds_the_case_in_triage_may_not(helpline, operator, questions):
    holder = StaffFactory(organisation=helpline)
    held = Case.objects.create(
        helpline=helpline, number="LAN-TEST-1", status=Case.Status.IN_TRIAGE, claimed_by=holder,
        channel=Case.Channel.SMS,
    )  # fmt: skip
    with pytest.raises(NotAllowedError):
        assess(held, operator, questions, 1)
    assert assess(held, holder, questions, 1).level == RiskLevel.STANDARD


@pytest.mark.parametrize("status", [Case.Status.ARCHIVED, Case.Status.MERGED])
def test_archived_and_merged_cases_are_read_only(case, operator, questions, status):
    Case.objects.filter(pk=case.pk).update(status=status)
    with pytest.raises(ConflictError) as refused:
        assess(case, operator, questions, 14)
    assert refused.value.http_status == 409
    assert not Assessment.objects.exists()


def test_without_an_active_questionnaire_nothing_can_be_assessed(case, operator, questions):
    Questionnaire.objects.update(is_active=False)
    with pytest.raises(ConflictError, match="No risk questionnaire"):
        complete_assessment(case=case, actor=operator, answers={})


def test_the_console_hears_of_it_after_commit(
    case, operator, questions, captured_broadcasts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assess(case, operator, questions, 14)
    assert any(event.get("type") == "case.updated" for _, event in captured_broadcasts)
