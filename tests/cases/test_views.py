"""The shared case pages: list and detail, audited reads, history in words."""

from __future__ import annotations

import pytest

from cases.models import AccessLog, Case
from cases.services import move_case
from tests.factories import CaseFactory, ReportFactory

pytestmark = pytest.mark.django_db


def test_case_list_is_audited_as_a_list_not_as_a_read_of_each_case(operator, otp_client):
    case = CaseFactory(helpline=operator.organisation)
    html = otp_client(operator).get("/cases/").content.decode()
    assert f'href="/cases/{case.number}/"' in html
    assert list(AccessLog.objects.values_list("action", "case")) == [("list", None)]


def test_opening_a_case_is_audited_with_who_and_where(operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation)
    ReportFactory(case=case, body="Made-up words from the report")
    move_case(case=case, to=Case.Status.IN_TRIAGE, actor=operator, reason="Claimed")

    response = otp_client(operator).get(f"/cases/{case.number}/", REMOTE_ADDR="198.51.100.4")

    html = response.content.decode()
    assert "Made-up words from the report" in html
    assert f"by {operator.username}: Claimed" in html
    assert "Status: New → In triage" in html
    log = AccessLog.objects.get()
    assert (log.user, log.case, log.action, log.via, log.ip_address) == (
        operator,
        case,
        "view",
        "web",
        "198.51.100.4",
    )


def test_reporter_text_is_escaped(operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation)
    ReportFactory(case=case, body='<script>alert("x")</script><img src=x onerror=alert(1)>')
    html = otp_client(operator).get(f"/cases/{case.number}/").content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
