"""The printed case file: what a reader may read and nothing more, audited as a print, and limited
per person."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from pypdf import PdfReader

from cases.models import AccessLog, Case, CaseNote
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    PersonFactory,
    ReferralFactory,
    ReportFactory,
)

pytestmark = pytest.mark.django_db


def pdf_text(answer) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)


@pytest.fixture
def case(helpline, cso, operator) -> Case:
    case = CaseFactory(helpline=helpline, status=Case.Status.IN_SERVICE)
    CasePersonFactory(case=case, person=PersonFactory(name="Testperson Printed"))
    ReportFactory(case=case, body="Made-up printed report")
    ReferralFactory(case=case, organisation=cso, referred_by=operator, reason="Printed reason")
    CaseNote.objects.create(
        case=case, organisation=helpline, author=operator, text="CANARY-INTERNAL"
    )
    return case


def test_the_case_file_has_the_case_and_is_audited_as_a_print(case, operator, otp_client) -> None:
    answer = otp_client(operator).get(f"/cases/{case.number}/print/")

    assert answer.status_code == 200
    assert answer["Content-Disposition"] == f'attachment; filename="{case.number}.pdf"'
    text = pdf_text(answer)
    for expected in (f"Case {case.number}", "Testperson Printed", "Made-up printed report",
                     "Printed reason", "CANARY-INTERNAL", "Confidential", "Page 1 of",
                     f"by {operator.username}"):  # fmt: skip
        assert expected in text, expected
    assert AccessLog.objects.filter(case=case, user=operator, action="print").count() == 1


def test_the_cso_file_leaves_out_the_helplines_internal_notes(case, cso_rep, otp_client) -> None:
    text = pdf_text(otp_client(cso_rep).get(f"/cases/{case.number}/print/"))
    assert "Testperson Printed" in text
    assert "CANARY-INTERNAL" not in text


def test_monitors_cannot_print_case_files(case, monitor, otp_client) -> None:
    assert otp_client(monitor).get(f"/cases/{case.number}/print/").status_code == 403
    assert not AccessLog.objects.filter(user=monitor, action="print").exists()


def test_printing_is_limited_per_person(case, operator, supervisor, otp_client, settings) -> None:
    # The counts live in the shared cache (Redis on the real run) for an hour, keyed by user id,
    # and a new test database hands out the same ids again: start from none.
    cache.clear()
    settings.CASE_PRINT_RATE = "2/h"
    client = otp_client(operator)
    assert [client.get(f"/cases/{case.number}/print/").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert AccessLog.objects.filter(user=operator, action="print").count() == 2
    assert otp_client(supervisor).get(f"/cases/{case.number}/print/").status_code == 200
