"""Phones, addresses and dates of birth are masked on screen (UX.md 19): the values are absent from
the page until someone who may see who is in the case asks to see one, which is audited per field;
printed case files carry them only when the printer chooses."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from pypdf import PdfReader

from cases.masking import mask_address, mask_date_of_birth, mask_phone
from cases.models import AccessLog, Case
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory

PHONE = "+447700900456"
ADDRESS = "12 Madeup Road\nTestford TE5 7QX"
DOB = "1985-03-14"
SENDER = "+447700900123"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+447700900123", "07••• •••123"),
        ("07700900123", "07••• •••123"),  # typed nationally
        ("+442079460018", "02• •••• •018"),  # a London landline
        ("+33612345678", "+33 • •• •• •6 78"),  # abroad: the country code stays
        ("+12025550123", "+1 •••-•••-•123"),
        ("123", "•••"),  # too short to keep any of it
        ("not a number 45", "•••"),
        ("", ""),
    ],
)
def test_phones_keep_only_their_last_three_digits(value: str, expected: str) -> None:
    assert mask_phone(value) == expected


def test_addresses_keep_only_the_postcode_district_and_dates_of_birth_nothing() -> None:
    assert mask_address(ADDRESS) == "•••• TE5 •••"
    assert mask_address("Flat 2, Nowhere Street") == "••••"
    assert mask_address("  ") == ""
    assert mask_date_of_birth(DOB) == "••/••/••••"
    assert mask_date_of_birth("") == ""


@pytest.fixture
def case(helpline) -> Case:
    case = CaseFactory(helpline=helpline, status=Case.Status.IN_SERVICE)
    CasePersonFactory(
        case=case,
        person=PersonFactory(
            name="Testperson Masked", phone=PHONE, address=ADDRESS, date_of_birth=DOB
        ),
    )
    ReportFactory(case=case, sender=SENDER)
    return case


def _victim(case: Case):
    return case.people.get().person


def test_the_case_page_has_no_value_until_shown(case, operator, otp_client) -> None:
    page = otp_client(operator).get(f"/cases/{case.number}/").content.decode()

    assert "Testperson Masked" in page
    for value in (
        PHONE,
        "7700900456",
        "900456",
        "Madeup Road",
        "7QX",
        "1985",
        "14/03",
        SENDER,
        "900123",
    ):
        assert value not in page, value
    assert "07••• •••456" in page
    assert "•••• TE5 •••" in page
    assert "••/••/••••" in page
    assert "07••• •••123" in page  # the report's sender
    assert page.count("recorded in the access log") == 4
    assert not AccessLog.objects.filter(action="reveal").exists()


@pytest.mark.parametrize(
    ("field", "shown"),
    [("phone", PHONE), ("address", "12 Madeup Road"), ("date_of_birth", "14/03/1985")],
)
def test_show_answers_the_value_and_audits_which_field(
    case, operator, otp_client, field, shown
) -> None:
    person = _victim(case)
    answer = otp_client(operator).post(
        f"/cases/{case.number}/reveal/",
        {"person": person.pk, "field": field},
        HTTP_HX_REQUEST="true",
    )

    assert answer.status_code == 200
    assert shown in answer.content.decode()
    assert "autofocus" in answer.content.decode()  # focus moves to the value
    log = AccessLog.objects.get(action="reveal")
    assert (log.user, log.case, log.via) == (operator, case, "web")
    assert log.detail == f"person {person.pk} {field}"
    assert shown not in log.detail


def test_each_show_is_its_own_audit_row(case, operator, otp_client) -> None:
    client, person = otp_client(operator), _victim(case)
    for field in ("phone", "phone", "address"):
        client.post(f"/cases/{case.number}/reveal/", {"person": person.pk, "field": field})
    assert list(
        AccessLog.objects.filter(action="reveal").values_list("detail", flat=True).order_by("pk")
    ) == [
        f"person {person.pk} phone",
        f"person {person.pk} phone",
        f"person {person.pk} address",
    ]


def test_without_javascript_show_is_a_page_of_its_own(case, operator, otp_client) -> None:
    answer = otp_client(operator).post(
        f"/cases/{case.number}/reveal/", {"person": _victim(case).pk, "field": "phone"}
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert PHONE in page
    assert f"Back to {case.number}" in page


def test_a_reports_sender_is_shown_the_same_way(case, operator, otp_client) -> None:
    report = case.reports.get()
    answer = otp_client(operator).post(
        f"/cases/{case.number}/reveal/", {"report": report.pk, "field": "sender"}
    )
    assert SENDER in answer.content.decode()
    assert AccessLog.objects.get(action="reveal").detail == f"report {report.pk} sender"


def test_show_is_404_for_those_who_may_not_and_audits_nothing(
    case, helpline, other_operator, monitor, otp_client, operator
) -> None:
    person = _victim(case)
    elsewhere = CasePersonFactory(case=CaseFactory(helpline=helpline)).person
    other_case = CaseFactory(helpline=helpline)
    client = otp_client(operator)
    refused = [
        # another helpline's operator and a monitor (no identities) ask the right things
        otp_client(other_operator).post(
            f"/cases/{case.number}/reveal/", {"person": person.pk, "field": "phone"}
        ),
        otp_client(monitor).post(
            f"/cases/{case.number}/reveal/", {"person": person.pk, "field": "phone"}
        ),
        otp_client(monitor).post(f"/cases/people/{person.pk}/reveal/", {"field": "phone"}),
        # someone who may asks for a person not on this case, or a field that is not masked
        client.post(f"/cases/{case.number}/reveal/", {"person": elsewhere.pk, "field": "phone"}),
        client.post(f"/cases/{other_case.number}/reveal/", {"person": person.pk, "field": "phone"}),
        client.post(f"/cases/{case.number}/reveal/", {"person": person.pk, "field": "name"}),
        client.post(
            f"/cases/{case.number}/reveal/", {"person": person.pk, "field": "contact_preferences"}
        ),
        client.post(f"/cases/{case.number}/reveal/", {"person": "x", "field": "phone"}),
        client.post(
            f"/cases/{case.number}/reveal/", {"report": case.reports.get().pk, "field": "body"}
        ),
        client.post("/cases/NO-SUCH/reveal/", {"person": person.pk, "field": "phone"}),
    ]
    assert [answer.status_code for answer in refused] == [404] * len(refused)
    assert client.get(f"/cases/{case.number}/reveal/").status_code == 405
    assert not AccessLog.objects.filter(action="reveal").exists()


def test_a_persons_own_page_reveals_through_the_person(
    case, operator, other_operator, otp_client
) -> None:
    person = _victim(case)
    answer = otp_client(operator).post(
        f"/cases/people/{person.pk}/reveal/", {"field": "date_of_birth"}
    )
    assert "14/03/1985" in answer.content.decode()
    log = AccessLog.objects.get(action="reveal")
    assert (log.case, log.detail) == (None, f"person {person.pk} date_of_birth")
    refused = otp_client(other_operator).post(
        f"/cases/people/{person.pk}/reveal/", {"field": "phone"}
    )
    assert refused.status_code == 404


def _pdf(answer) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)


def test_the_case_file_is_masked_unless_the_printer_chooses(case, operator, otp_client) -> None:
    cache.clear()  # the print rate's counts
    client = otp_client(operator)
    masked = _pdf(client.get(f"/cases/{case.number}/print/"))
    full = _pdf(client.get(f"/cases/{case.number}/print/?full=1"))

    assert "Testperson Masked" in masked
    assert "Testperson Masked" in full
    for value in (PHONE, "Madeup Road", "14/03/1985", SENDER):
        assert value not in masked, value
        assert value in full, value
    assert "masked in this copy" in masked
    assert "masked in this copy" not in full
    assert list(
        AccessLog.objects.filter(action="print").values_list("detail", flat=True).order_by("pk")
    ) == [
        "masked",
        "with contact details",
    ]


def test_the_case_page_offers_the_print_choice(case, operator, otp_client) -> None:
    page = otp_client(operator).get(f"/cases/{case.number}/").content.decode()
    assert 'name="full" value="1"' in page
    assert "Include phone numbers, addresses and dates of birth" in page
