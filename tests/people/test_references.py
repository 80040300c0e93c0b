"""Contacts and references (cases.references, the person page, the case page): added and ended or
taken off with a reason kept in the history, by those who may change the person or the case; the
previous ones stay on the record; bad input is a 400 with nothing stored."""

from __future__ import annotations

from datetime import date

import pytest

from cases import references
from cases.models import (
    AccessLog,
    Case,
    CasePerson,
    ContactType,
    ExternalReference,
    PersonContact,
    ReferenceType,
)
from cases.workflow import CaseError, NotAllowedError, ReadOnlyError
from tests.cases.test_print import pdf_text
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db

S = Case.Status
CRIME_NUMBER = "CR/0042/26"


@pytest.fixture
def case(helpline, operator) -> Case:
    return CaseFactory(helpline=helpline, status=S.VERIFIED, claimed_by=operator)


@pytest.fixture
def victim(case):
    return CasePersonFactory(case=case, person=PersonFactory(name="Testvictim Refs")).person


def kind(code: str) -> ReferenceType:
    return ReferenceType.objects.get(code=code)


def test_reference_on_a_case_bumps_its_version_and_keeps_history(case, operator):
    reference = references.add_reference(
        actor=operator, case=case, kind=kind("crime_number"), value=CRIME_NUMBER,
        issued_by="Made-up Constabulary", reason="Police gave it on the phone",
    )  # fmt: skip
    case.refresh_from_db()
    assert case.version == 2
    assert reference.history.get().history_change_reason == "Police gave it on the phone"
    references.remove_reference(actor=operator, reference=reference, reason="Typed wrongly")
    assert not ExternalReference.objects.exists()
    gone = ExternalReference.history.filter(history_type="-").get()
    assert (gone.value, gone.history_change_reason, gone.history_user) == (
        CRIME_NUMBER, "Typed wrongly", operator,
    )  # fmt: skip
    case.refresh_from_db()
    assert case.version == 3


def test_reference_kinds_apply_where_the_admin_said(case, victim, operator):
    with pytest.raises(CaseError, match="cannot be added to a person"):
        references.add_reference(
            actor=operator, person=victim, kind=kind("officer_in_charge"), value="PC 1", reason="x"
        )
    with pytest.raises(CaseError, match="cannot be added to a case"):
        references.add_reference(
            actor=operator, case=case, kind=kind("social_care"), value="SC-1", reason="x"
        )
    with pytest.raises(CaseError, match="Say why"):
        references.add_reference(
            actor=operator, case=case, kind=kind("crime_number"), value="1", reason=" "
        )
    assert not ExternalReference.objects.exists()


def test_who_may_change_references(case, victim, operator, other_operator, monitor, cso, cso_rep):
    with pytest.raises(NotAllowedError):
        references.add_reference(
            actor=cso_rep, case=case, kind=kind("crime_number"), value="1", reason="x"
        )
    with pytest.raises(NotAllowedError):
        references.add_reference(
            actor=monitor, person=victim, kind=kind("crime_number"), value="1", reason="x"
        )
    # a CSO serving the case changes its references and its people
    ReferralFactory(case=case, organisation=cso, referred_by=operator)
    Case.objects.filter(pk=case.pk).update(status=S.IN_SERVICE)
    case.refresh_from_db()
    references.add_reference(
        actor=cso_rep, person=victim, kind=kind("housing_reference"), value="H-9", reason="x"
    )
    # nobody once archived
    Case.objects.filter(pk=case.pk).update(status=S.ARCHIVED)
    with pytest.raises(ReadOnlyError):
        references.add_reference(
            actor=operator, case=case, kind=kind("crime_number"), value="1", reason="x"
        )
    with pytest.raises(NotAllowedError):
        references.add_reference(
            actor=operator, person=victim, kind=kind("crime_number"), value="1", reason="x"
        )


def test_contacts_are_checked_and_ended_not_deleted(victim, operator):
    mobile = ContactType.objects.get(code="mobile")
    with pytest.raises(CaseError, match="phone number"):
        references.add_contact(
            actor=operator, person=victim, kind=mobile, value="not a phone", reason="x"
        )
    with pytest.raises(CaseError, match="email address"):
        references.add_contact(
            actor=operator, person=victim, kind=ContactType.objects.get(code="email"),
            value="nope", reason="x",
        )  # fmt: skip
    with pytest.raises(CaseError, match="move"):
        references.add_contact(
            actor=operator, person=victim, kind=ContactType.objects.get(code="address"),
            value="1 Road", reason="x",
        )  # fmt: skip
    assert not PersonContact.objects.exists()
    contact = references.add_contact(
        actor=operator, person=victim, kind=mobile, value="07700 900491",
        valid_from=date(2025, 1, 2), reason="Her new safe phone",
    )  # fmt: skip
    assert contact.value == "+447700900491"
    ended = references.end_contact(
        actor=operator, contact=contact, ended_on=date(2025, 3, 4), reason="Phone taken"
    )
    assert ended.valid_to == date(2025, 3, 4)
    assert [h.history_change_reason for h in contact.history.order_by("history_id")] == [
        "Her new safe phone",
        "Phone taken",
    ]
    with pytest.raises(CaseError, match="already ended"):
        references.end_contact(actor=operator, contact=contact, reason="again")


def test_person_page_forms(victim, operator, otp_client):
    client = otp_client(operator)
    page = client.get(f"/people/{victim.pk}/").content.decode()
    assert "Add a way of reaching them" in page
    response = client.post(
        f"/people/{victim.pk}/contacts/",
        {"contact-kind": "mobile", "contact-value": "07700900492", "contact-reason": "New phone"},
    )
    assert response.status_code == 302
    contact = PersonContact.objects.get()
    bad = client.post(
        f"/people/{victim.pk}/contacts/",
        {"contact-kind": "mobile", "contact-value": "12", "contact-reason": "x"},
    )
    assert bad.status_code == 400
    assert "Enter a phone number" in bad.content.decode()
    assert PersonContact.objects.count() == 1
    response = client.post(
        f"/people/{victim.pk}/contacts/{contact.pk}/end/", {"end-reason": "Lost"}
    )
    assert response.status_code == 302
    response = client.post(
        f"/people/{victim.pk}/references/",
        {
            "reference-kind": "crime_number",
            "reference-value": CRIME_NUMBER,
            "reference-reason": "x",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/people/{victim.pk}/").content.decode()
    assert CRIME_NUMBER in page
    assert "No longer used" in page
    assert "+447700900492" not in page  # masked until shown
    shown = client.post(f"/people/{victim.pk}/contacts/{contact.pk}/reveal/")
    assert "+447700900492" in shown.content.decode()
    assert AccessLog.objects.filter(
        action=AccessLog.Action.REVEAL, detail=f"person {victim.pk} contact {contact.pk}"
    ).exists()
    reference = ExternalReference.objects.get()
    response = client.post(
        f"/people/{victim.pk}/references/{reference.pk}/remove/", {"remove-reason": "Wrong"}
    )
    assert response.status_code == 302
    assert not ExternalReference.objects.exists()


def test_person_page_without_the_right_to_change(
    victim, case, other_operator, otp_client, operator
):
    # someone else holds the case in triage: the operator may see, not change
    Case.objects.filter(pk=case.pk).update(status=S.IN_TRIAGE, claimed_by=other_operator)
    from tests.factories import StaffFactory

    colleague = StaffFactory(organisation=case.helpline)
    client = otp_client(colleague)
    page = client.get(f"/people/{victim.pk}/").content.decode()
    assert "Add a way of reaching them" not in page
    response = client.post(
        f"/people/{victim.pk}/references/",
        {"reference-kind": "crime_number", "reference-value": "1", "reference-reason": "x"},
    )
    assert response.status_code == 403
    assert not ExternalReference.objects.exists()


def test_outsiders_get_404_on_every_person_url(victim, other_operator, monitor, otp_client):
    for user in (other_operator, monitor):
        client = otp_client(user)
        assert client.get(f"/people/{victim.pk}/").status_code == 404
        for url in ("contacts/", "references/", "contacts/1/end/", "references/1/remove/"):
            assert client.post(f"/people/{victim.pk}/{url}", {}).status_code == 404


def test_case_page_adds_and_takes_off_a_case_reference(case, operator, otp_client, monitor):
    client = otp_client(operator)
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert f'action="/cases/{case.number}/references/"' in page
    response = client.post(
        f"/cases/{case.number}/references/",
        {"reference-kind": "marac_reference", "reference-value": "M-77", "reference-reason": "x"},
    )
    assert response.status_code == 302
    reference = case.references.get()
    assert "M-77" in client.get(f"/cases/{case.number}/").content.decode()
    assert "M-77" in pdf_text(client.get(f"/cases/{case.number}/print/"))
    assert "M-77" not in otp_client(monitor).get(f"/cases/{case.number}/").content.decode()
    bad = client.post(
        f"/cases/{case.number}/references/",
        {"reference-kind": "social_care", "reference-value": "x", "reference-reason": "x"},
    )
    assert bad.status_code == 400
    response = client.post(
        f"/cases/{case.number}/references/{reference.pk}/remove/", {"remove-reason": "Wrong"}
    )
    assert response.status_code == 302
    assert not case.references.exists()


def test_printed_file_shows_the_reporter(case, operator, otp_client):
    from cases.models import Relationship

    CasePersonFactory(
        case=case, person=PersonFactory(name="Testreporter Printed"),
        role=CasePerson.Role.REPORTER, relationship=Relationship.objects.get(code="friend"),
    )  # fmt: skip
    text = " ".join(pdf_text(otp_client(operator).get(f"/cases/{case.number}/print/")).split())
    assert "Reporter (Friend or neighbour)" in text
    assert "Testreporter Printed" in text
