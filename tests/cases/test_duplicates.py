"""Possibly the same person (cases.duplicates): other cases the user may see about the same victim
or naming the same perpetrator, each with its reasons in words, ranked, in a bounded number of
queries; never this case, a merged one or another helpline's."""

from __future__ import annotations

import pytest

from cases.duplicates import likely_duplicates
from cases.models import (
    Case,
    CasePerson,
    ContactType,
    ExternalReference,
    PersonContact,
    ReferenceType,
)
from tests.cases.test_known_people import NAME_QUERIES
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory

pytestmark = pytest.mark.django_db
S = Case.Status
VICTIM, PERPETRATOR = CasePerson.Role.VICTIM, CasePerson.Role.PERPETRATOR


def case_with(helpline, role=VICTIM, status=S.VERIFIED, **person) -> Case:
    case = CaseFactory(helpline=helpline, status=status)
    person.setdefault("phone", "")
    CasePersonFactory(case=case, person=PersonFactory(**person), role=role)
    return case


def reasons_for(user, case: Case) -> dict[str, list[str]]:
    return {d.case.number: list(d.reasons) for d in likely_duplicates(user, case)}


def test_same_phone_number_as_the_victim(helpline, operator) -> None:
    other = case_with(helpline, name="Anne Example", phone="+447700900222")
    case = case_with(helpline, name="Someone Else", phone="+447700900222")
    assert reasons_for(operator, case) == {other.number: ["same phone number as the victim"]}


def test_a_report_from_the_victims_phone(helpline, operator) -> None:
    other = CaseFactory(helpline=helpline, status=S.NEW)
    ReportFactory(case=other, sender="+447700900333")
    case = case_with(helpline, name="Anne Example", phone="+447700900333")
    assert reasons_for(operator, case) == {other.number: ["a report from the same phone number"]}


def test_names_that_sound_the_same_with_ages(helpline, operator) -> None:
    close = case_with(helpline, name="Jon Smyth", age=35)
    exact = case_with(helpline, name="John Smith", age=None)
    case_with(helpline, name="Jon Smyth", age=40)  # too far apart in age
    case = case_with(helpline, name="John Smith", age=34)
    found = reasons_for(operator, case)
    assert found == {
        close.number: ["victim's name sounds the same, age 34 vs 35"],
        exact.number: ["victim's name is the same, age not known on one of them"],
    }
    assert [d.case for d in likely_duplicates(operator, case)] == [close, exact]  # ranked


def test_same_address_and_same_reference(helpline, operator) -> None:
    address = ContactType.objects.filter(shape=ContactType.Shape.ADDRESS).first()
    crime = ReferenceType.objects.filter(label__icontains="crime").first()
    other = case_with(helpline, name="Anne Example")
    there = other.people.get().person
    PersonContact.objects.create(person=there, kind=address, value="1 Made-up Road,  Testtown")
    ExternalReference.objects.create(case=other, kind=crime, value="CRIME-123")
    case = case_with(helpline, name="Someone Else", address="1 made-up road, testtown")
    ExternalReference.objects.create(case=case, kind=crime, value="crime-123")
    found = reasons_for(operator, case)[other.number]
    assert f"same {crime.label[:1].lower()}{crime.label[1:]}" in found
    assert "same address as the victim" in found


def test_a_perpetrator_named_on_both(helpline, operator) -> None:
    other = case_with(helpline, role=PERPETRATOR, name="Rob Stone", age=40)
    case = case_with(helpline, role=PERPETRATOR, name="Robert Stone", age=41)
    case_with(helpline, role=VICTIM, name="Robert Stone", age=41)  # not a perpetrator there
    assert reasons_for(operator, case) == {}
    same = case_with(helpline, role=PERPETRATOR, name="Robert Stone", age=41)
    assert reasons_for(operator, case) == {same.number: ["perpetrator named on this case too"]}
    assert other.number not in reasons_for(operator, case)  # "Rob" is another word


def test_never_this_case_a_merged_one_or_another_helplines(
    helpline, other_helpline, operator, monitor
) -> None:
    case_with(helpline, status=S.MERGED, name="Anne Example", phone="+447700900444")
    case_with(other_helpline, name="Anne Example", phone="+447700900444")
    case = case_with(helpline, name="Anne Example", phone="+447700900444")
    assert likely_duplicates(operator, case) == []
    assert likely_duplicates(monitor, case) == []  # no identities, no likenesses


NAMES = ["Anne Example", "Bea Testing", "Cara Madeup", "Dina Sample", "Erin Fiction"]


def test_bounded_queries(helpline, operator, django_assert_max_num_queries) -> None:
    for n in range(5):
        case_with(helpline, name=NAMES[n], age=30, phone=f"+44770090050{n}")
    case = CaseFactory(helpline=helpline, status=S.VERIFIED)
    for n in range(5):
        CasePersonFactory(
            case=case,
            person=PersonFactory(name=NAMES[n], age=31, phone=f"+44770090050{n}"),
            role=VICTIM if n == 0 else PERPETRATOR,
        )
        ReportFactory(case=case, sender=f"+44770090060{n}")
    # a dozen, and the name look-ups: at most NAME_QUERIES per name on this case
    with django_assert_max_num_queries(12 + NAME_QUERIES * 5):
        found = likely_duplicates(operator, case)
    assert len(found) == 1
