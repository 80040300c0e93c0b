"""Reports and figures count a case under its primary category only (Case.category); its further
categories (cases.CaseCategory) make a filter find it, never count it twice."""

from __future__ import annotations

import pytest

from cases.models import Case, CaseCategory, CaseFlag, Flag, Language
from dashboards.exports import case_rows, filter_summary
from dashboards.live import counted_figures
from dashboards.reports import filtered_cases, snapshot
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, category

pytestmark = pytest.mark.django_db


def with_further(case: Case, *codes: str) -> Case:
    for code in codes:
        CaseCategory.objects.create(case=case, category=category(code))
    return case


def by_category(user) -> dict[str, int]:
    return {row["label"]: row["count"] for row in counted_figures(user)["by_category"]}


def test_the_live_figures_count_a_case_once_under_its_primary_category(
    helpline, supervisor
) -> None:
    physical, sexual, economic = (category(c) for c in ("physical", "sexual", "economic"))
    with_further(
        CaseFactory(helpline=helpline, status="verified", category=physical), "sexual", "economic"
    )
    CaseFactory(helpline=helpline, status="verified", category=sexual)

    counted = by_category(supervisor)

    assert counted == {physical.label: 1, sexual.label: 1}
    assert economic.label not in counted
    assert counted_figures(supervisor)["open_cases"] == 2


def test_a_report_filtered_by_a_further_category_counts_the_case_once(helpline, supervisor) -> None:
    case = with_further(
        CaseFactory(helpline=helpline, category=category("physical")), "sexual", "economic"
    )
    CaseFactory(helpline=helpline, category=category("physical"))

    assert snapshot(supervisor, {"category": "sexual"})["incoming"]["total"] == 1
    assert snapshot(supervisor, {"category": "physical"})["incoming"]["total"] == 2
    # the case list a report exports names the primary category, one row per case
    rows = list(case_rows(filtered_cases(supervisor, {"category": "economic"})))
    assert [(row[0], row[4]) for row in rows] == [(case.number, category("physical").label)]


def test_a_report_takes_the_flag_risk_and_language_filters_and_says_them_in_words(
    helpline, supervisor
) -> None:
    case = CaseFactory(helpline=helpline, risk_level="high")
    CaseFlag.objects.create(case=case, flag=Flag.objects.get(code="child_involved"))
    CasePersonFactory(case=case, person=PersonFactory(language=Language.objects.get(code="so")))
    CaseFactory(helpline=helpline)
    filters = {"flag": "child_involved", "risk": "high", "language": "so"}

    assert snapshot(supervisor, filters)["incoming"]["total"] == 1
    assert filter_summary(filters) == [
        ("Flag", "Child involved"),
        ("Risk level", "High risk"),
        ("Victim's language", "Somali"),
    ]


def test_the_report_page_offers_the_flag_risk_and_language_filters(
    helpline, supervisor, otp_client
) -> None:
    case = CaseFactory(helpline=helpline, risk_level="medium")
    CaseFlag.objects.create(case=case, flag=Flag.objects.get(code="weapon"))
    CaseFactory(helpline=helpline)
    client = otp_client(supervisor)

    html = client.get("/dashboards/reports/", {"flag": "weapon", "risk": "medium"}).content.decode()

    assert '<label class="form-label" for="report-flag">Flag</label>' in html
    assert '<option value="weapon" selected>Weapon mentioned</option>' in html
    assert '<option value="medium" selected>Medium risk</option>' in html
    assert 'for="report-language">Victim' in html
    assert "Incoming reports: 1" in html
