"""The queue shows each case's risk, flags and victim's language in words, filters by them, and
stays as cheap however many cases carry them."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseFlag, Flag, Language, RiskLevel
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, StaffFactory

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr id="case-([A-Z]+-\d{4}-\d+)"')


def listed(html: str) -> list[str]:
    return ROW.findall(html)


def flagged(case: Case, *codes: str) -> Case:
    for code in codes:
        CaseFlag.objects.create(case=case, flag=Flag.objects.get(code=code))
    return case


def speaking(case: Case, code: str) -> Case:
    CasePersonFactory(case=case, person=PersonFactory(language=Language.objects.get(code=code)))
    return case


def row_of(html: str, case: Case) -> str:
    start = html.index(f'<tr id="case-{case.number}"')
    return html[start : html.index("</tr>", start)]


def test_a_row_says_its_risk_flags_and_language_in_words(operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation, risk_level=RiskLevel.MEDIUM)
    speaking(flagged(case, "child_involved", "interpreter"), "pl")
    plain = CaseFactory(helpline=operator.organisation)
    speaking(plain, "en")

    html = otp_client(operator).get("/console/rows/").content.decode()

    row = row_of(html, case)
    assert "risk-badge risk-medium" in row
    assert "Medium risk" in row
    assert "Child involved" in row
    assert "Interpreter needed" in row
    assert "#people" in row
    assert "#translate" in row
    assert '<span class="visually-hidden">Speaks </span>Polish' in row
    other = row_of(html, plain)
    # English, the helpline's own language, is not worth a mark; nor is an unassessed risk
    assert "English" not in other
    assert "risk-badge" not in other
    assert "case-flag" not in other


def test_a_high_risk_case_says_high_risk_once(operator, otp_client) -> None:
    case = flagged(CaseFactory(helpline=operator.organisation, risk_level="high"), "high_risk")
    row = row_of(otp_client(operator).get("/console/rows/").content.decode(), case)
    assert row.count("High risk") == 1


def test_flags_and_languages_cost_no_query_per_row(operator, otp_client) -> None:
    client = otp_client(operator)
    speaking(flagged(CaseFactory(helpline=operator.organisation), "weapon"), "ro")
    client.get("/console/rows/")  # the first request of a session also writes the session
    with CaptureQueriesContext(connection) as few:
        client.get("/console/rows/")

    for i in range(20):
        case = CaseFactory(helpline=operator.organisation, risk_level=RiskLevel.values[i % 3])
        speaking(flagged(case, "child_involved", "pregnant"), ["pl", "ur", "en", "so"][i % 4])
    with CaptureQueriesContext(connection) as many:
        html = client.get("/console/rows/").content.decode()

    assert len(listed(html)) == 21
    assert html.count("</span>Child involved<") == 20
    assert html.count("</span>Urdu<") == 5
    assert len(many) == len(few)


def test_the_queue_filters_by_flag_risk_and_language(operator, otp_client) -> None:
    helpline = operator.organisation
    child = flagged(CaseFactory(helpline=helpline), "child_involved")
    high = CaseFactory(helpline=helpline, risk_level=RiskLevel.HIGH)
    polish = speaking(CaseFactory(helpline=helpline), "pl")
    both = speaking(
        flagged(CaseFactory(helpline=helpline, risk_level="high"), "child_involved"), "pl"
    )
    client = otp_client(operator)

    def shown(query: str) -> set[str]:
        return set(listed(client.get(f"/console/rows/?{query}").content.decode()))

    assert shown("flag=child_involved") == {child.number, both.number}
    assert shown("risk=high") == {high.number, both.number}
    assert shown("language=pl") == {polish.number, both.number}
    assert shown("flag=child_involved&risk=high&language=pl") == {both.number}
    # a code that names nothing is dropped: the whole queue, not an error page
    assert len(shown("flag=no-such-flag&risk=extreme")) == 4


def test_the_filtered_page_keeps_its_filters_across_refreshes_views_and_searches(
    operator, otp_client
) -> None:
    client = otp_client(operator)
    page = client.get("/console/?view=unclaimed&flag=interpreter&language=bsl").content.decode()

    # the live refresh asks for the same filtered rows
    assert 'hx-get="/console/rows/?view=unclaimed&amp;flag=interpreter&amp;language=bsl"' in page
    # the form shows what is chosen, a saved view keeps it, and it can be cleared
    assert '<option value="interpreter" selected>Interpreter needed</option>' in page
    assert '<option value="bsl" selected>British Sign Language</option>' in page
    assert 'href="?view=mine&amp;flag=interpreter&amp;language=bsl"' in page
    assert 'href="?view=unclaimed">Clear filters</a>' in page
    assert ", filtered" in page
    # a search posted from the filtered page stays filtered (the words go under a search id)
    answer = client.post(
        "/console/", {"q": "Made-up Name", "view": "unclaimed", "flag": "interpreter"}
    )
    assert answer["Location"].startswith("/console/?view=unclaimed&flag=interpreter&search=")
    assert "Made-up" not in answer["Location"]


def test_a_retired_flag_still_finds_its_cases(operator, otp_client) -> None:
    case = flagged(CaseFactory(helpline=operator.organisation), "pregnant")
    Flag.objects.filter(code="pregnant").update(is_active=False)
    client = otp_client(operator)
    assert listed(client.get("/console/rows/?flag=pregnant").content.decode()) == [case.number]
    assert "Pregnant (retired)" in client.get("/console/").content.decode()


def test_an_admin_adds_a_flag_and_the_queue_offers_and_shows_it(
    admin_user, operator, cso, otp_client
) -> None:
    client = otp_client(admin_user)
    added = client.post(
        "/admin/cases/flag/add/",
        {
            "label": "Made-up flag",
            "code": "made_up",
            "icon": "star",
            "is_active": "on",
            "position": 5,
        },
    )
    assert added.status_code == 302, added.content
    flag = Flag.objects.get(code="made_up")
    assert flag.history.count() == 1
    assert client.get("/admin/cases/language/").status_code == 200
    # a CSO's administrator does not reach the lists every helpline's cases are described with
    cso_admin = StaffFactory(organisation=cso, role="admin")
    assert otp_client(cso_admin).get("/admin/cases/flag/").status_code == 403

    case = flagged(CaseFactory(helpline=operator.organisation), "made_up")
    operator_client = otp_client(operator)
    assert (
        '<option value="made_up">Made-up flag</option>'
        in operator_client.get("/console/").content.decode()
    )
    row = row_of(operator_client.get("/console/rows/").content.decode(), case)
    assert "#star" in row
    assert "</span>Made-up flag<" in row
