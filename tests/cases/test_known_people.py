"""A perpetrator just recorded who is named on other open cases: the helpline's supervisors are told
once, with a case number and a count, never a name or a number (cases.known_people)."""

from __future__ import annotations

import pytest

from accounts.models import User
from cases.known_people import Likeness, alert_known_perpetrators, find_matches
from cases.models import Case, CasePerson, Person
from notifications.models import Notification
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=False)
# cases.people_search.name_scores per name: its index entries, the ranking fenced and, when fewer
# than asked for are found, unfenced; when every word is common, the exact merge first
NAME_QUERIES = 4


def perpetrator(case: Case, name: str, age: int | None = None, phone: str = "") -> Person:
    person = PersonFactory(name=name, age=age, phone=phone)
    CasePersonFactory(case=case, person=person, role=CasePerson.Role.PERPETRATOR)
    return person


def alerts() -> list[Notification]:
    return list(Notification.objects.filter(kind="case.perpetrator_known", channel="in_app"))


def test_a_perpetrator_named_on_other_open_cases_alerts_the_supervisors(
    helpline, operator, supervisor, django_capture_on_commit_callbacks
) -> None:
    for age in (34, 36):
        perpetrator(CaseFactory(helpline=helpline, status="verified"), "Jon Smyth", age)
    case = CaseFactory(helpline=helpline, status="in_triage")
    person = perpetrator(case, "John Smith", 35)
    with django_capture_on_commit_callbacks(execute=True):
        queued = alert_known_perpetrators(case=case, people=[person], actor=operator)
    assert queued == {person.pk: 2}
    [alert] = alerts()
    assert alert.recipient == supervisor
    assert alert.text == (
        f"A person named as perpetrator on case {case.number} is named on 2 other open cases"
    )
    assert "John" not in alert.text
    assert "Smith" not in alert.text


def test_once_per_case_and_person(
    helpline, operator, supervisor, django_capture_on_commit_callbacks
):
    perpetrator(
        CaseFactory(helpline=helpline, status="verified"), "Rob Stone", phone="+447700900111"
    )
    case = CaseFactory(helpline=helpline, status="in_triage")
    person = perpetrator(case, "Robert Stone", phone="+447700900111")
    with django_capture_on_commit_callbacks(execute=True):
        assert alert_known_perpetrators(case=case, people=[person], actor=operator) == {
            person.pk: 1
        }
    with django_capture_on_commit_callbacks(execute=True):
        assert alert_known_perpetrators(case=case, people=[person], actor=operator) == {}
    assert len(alerts()) == 1


@pytest.mark.parametrize(
    ("name", "age", "status", "same_helpline", "role"),
    [
        ("Jon Smyth", 40, "verified", True, "perpetrator"),  # ages too far apart
        ("Jon Smyth", 35, "closed", True, "perpetrator"),  # not open
        ("Jon Smyth", 35, "merged", True, "perpetrator"),
        ("Jon Smyth", 35, "verified", False, "perpetrator"),  # another helpline's case
        ("Jon Smyth", 35, "verified", True, "victim"),  # named, but not as a perpetrator
        ("Jon Brown", 35, "verified", True, "perpetrator"),  # one word differs
    ],
)
def test_no_alert_when_nothing_matches(
    helpline, other_helpline, operator, supervisor, name, age, status, same_helpline, role
) -> None:
    other = CaseFactory(helpline=helpline if same_helpline else other_helpline, status=status)
    CasePersonFactory(case=other, person=PersonFactory(name=name, age=age, phone=""), role=role)
    case = CaseFactory(helpline=helpline, status="in_triage")
    person = perpetrator(case, "John Smith", 35)
    assert alert_known_perpetrators(case=case, people=[person], actor=operator) == {}
    assert alerts() == []


def test_a_single_first_name_alone_is_not_enough(helpline, operator, supervisor) -> None:
    perpetrator(CaseFactory(helpline=helpline, status="verified"), "John Smith", 35)
    case = CaseFactory(helpline=helpline, status="in_triage")
    person = perpetrator(case, "John", 35)
    assert alert_known_perpetrators(case=case, people=[person], actor=operator) == {}


def test_a_name_many_share_is_matched_to_the_most_alike(
    helpline, operator, supervisor, monkeypatch
) -> None:
    import cases.known_people

    monkeypatch.setattr(cases.known_people, "NAME_MATCHES", 1)
    perpetrator(CaseFactory(helpline=helpline, status="verified"), "Jon Smyth", 35)
    same = CaseFactory(helpline=helpline, status="verified")
    perpetrator(same, "John Smith", 35)
    case = CaseFactory(helpline=helpline, status="in_triage")
    person = perpetrator(case, "John Smith", 35)
    others = CasePerson.objects.exclude(case=case)
    assert [(m.case_id, m.likeness) for m in find_matches([person], others)] == [
        (same.pk, Likeness.NAME)
    ]


def test_age_unknown_on_one_side_still_matches(helpline, operator, supervisor) -> None:
    perpetrator(CaseFactory(helpline=helpline, status="referred"), "John Smith", None)
    case = CaseFactory(helpline=helpline, status="in_triage")
    person = perpetrator(case, "John Smith", 35)
    assert alert_known_perpetrators(case=case, people=[person], actor=operator) == {person.pk: 1}


def test_only_supervisors_are_told(helpline, operator, supervisor) -> None:
    StaffFactory(organisation=helpline, role=User.Role.SUPERVISOR)
    perpetrator(CaseFactory(helpline=helpline, status="verified"), "John Smith", 35)
    case = CaseFactory(helpline=helpline, status="in_triage")
    person = perpetrator(case, "John Smith", 35)
    alert_known_perpetrators(case=case, people=[person], actor=operator)
    recipients = {alert.recipient for alert in alerts()}
    assert len(recipients) == 2
    assert operator not in recipients
    assert all(user.role == User.Role.SUPERVISOR for user in recipients)


def test_bounded_queries(helpline, operator, supervisor, django_assert_max_num_queries) -> None:
    for n in range(5):
        perpetrator(CaseFactory(helpline=helpline, status="verified"), f"John Smith{n}", 35)
    case = CaseFactory(helpline=helpline, status="in_triage")
    people = [perpetrator(case, f"John Smith{n}", 35) for n in range(5)]
    # finding them costs the same however many people the other cases hold: at most NAME_QUERIES
    # per name here and three more; each alert is the outbox's three; the marks that they were
    # told, one read and one write
    with django_assert_max_num_queries(3 + NAME_QUERIES * 5 + 3 * 5 + 2):
        queued = alert_known_perpetrators(case=case, people=people, actor=operator)
    assert len(queued) == 5
    strangers = [perpetrator(case, f"Anne Other{n}", 50) for n in range(5)]
    with django_assert_max_num_queries(3 + NAME_QUERIES * 5):
        assert alert_known_perpetrators(case=case, people=strangers, actor=operator) == {}


def test_verifying_a_case_alerts_about_a_known_perpetrator(
    helpline, operator, supervisor, django_capture_on_commit_callbacks
) -> None:
    from rest_framework.test import APIClient

    from accounts.services import issue_api_token

    perpetrator(CaseFactory(helpline=helpline, status="referred"), "Made Up Person", 41)
    case = CaseFactory(helpline=helpline, status="in_triage", claimed_by=operator)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")
    body = {
        "category": "physical",
        "priority": "high",
        "perpetrators": [{"name": "Made Up Person", "age": 40, "relationship": "ex-partner"}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(f"/api/v1/cases/{case.number}/verify/", body, format="json")
    assert answer.status_code == 200, answer.json()
    [alert] = alerts()
    assert alert.recipient == supervisor
    assert alert.text.endswith("is named on 1 other open case")
