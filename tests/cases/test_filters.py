"""The case list's filters (cases.filters.CaseFilter) on the list page and the API: a category finds a
case by its primary or a further category, once; flags, risk level and the victim's language are
codes in the URL; the rows say each case's flags, risk and language in words."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, CaseCategory, CaseFlag, Flag, Language, RiskLevel
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, category

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(operator) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")
    return client


def further(case: Case, *codes: str) -> Case:
    for code in codes:
        CaseCategory.objects.create(case=case, category=category(code))
    return case


def flagged(case: Case, *codes: str) -> Case:
    for code in codes:
        CaseFlag.objects.create(case=case, flag=Flag.objects.get(code=code))
    return case


def speaking(case: Case, code: str) -> Case:
    CasePersonFactory(case=case, person=PersonFactory(language=Language.objects.get(code=code)))
    return case


def numbers(api: APIClient, **params: str) -> list[str]:
    answer = api.get("/api/v1/cases/", params)
    assert answer.status_code == 200, answer.content
    return sorted(case["number"] for case in answer.json()["results"])


def test_category_finds_the_primary_or_a_further_category_once(api, helpline) -> None:
    primary = CaseFactory(helpline=helpline, category=category("physical"))
    # physical among two further categories, and as both primary and further (kept apart by the
    # service, but a filter must not list it twice even so)
    among = further(
        CaseFactory(helpline=helpline, category=category("sexual")), "physical", "economic"
    )
    twice = further(CaseFactory(helpline=helpline, category=category("physical")), "physical")
    CaseFactory(helpline=helpline, category=category("sexual"))

    found = numbers(api, category="physical")
    assert found == sorted([primary.number, among.number, twice.number])
    assert api.get("/api/v1/cases/", {"category": "physical"}).json()["count"] == 3
    assert numbers(api, category="economic") == [among.number]
    assert numbers(api, category="no-such-category") == []


def test_api_filters_by_flag_risk_and_language(api, helpline) -> None:
    high = flagged(CaseFactory(helpline=helpline, risk_level=RiskLevel.HIGH), "high_risk")
    child = speaking(flagged(CaseFactory(helpline=helpline), "child_involved", "interpreter"), "pl")
    english = speaking(CaseFactory(helpline=helpline, risk_level=RiskLevel.STANDARD), "en")
    # the reporter's or a perpetrator's language is not the victim's
    other = CaseFactory(helpline=helpline)
    CasePersonFactory(
        case=other,
        role="perpetrator",
        person=PersonFactory(language=Language.objects.get(code="pl")),
    )

    assert numbers(api, flag="high_risk") == [high.number]
    assert numbers(api, flag="interpreter") == [child.number]
    assert numbers(api, risk="high") == [high.number]
    assert numbers(api, risk="standard") == [english.number]
    assert numbers(api, language="pl") == [child.number]
    assert numbers(api, language="en") == [english.number]
    assert numbers(api, flag="high_risk", risk="high", language="pl") == []
    assert numbers(api, flag="child_involved", category="", language="pl") == [child.number]


@pytest.mark.parametrize(
    ("name", "value"), [("flag", "no-such-flag"), ("risk", "extreme"), ("language", "xx")]
)
def test_an_unknown_code_is_a_400_naming_the_filter(api, helpline, name, value) -> None:
    CaseFactory(helpline=helpline)
    answer = api.get("/api/v1/cases/", {name: value})
    assert answer.status_code == 400
    assert name in answer.json()


def test_filters_never_widen_what_a_user_sees(api, helpline, other_helpline) -> None:
    flagged(CaseFactory(helpline=other_helpline, risk_level="high"), "high_risk")
    assert numbers(api, flag="high_risk") == []
    assert numbers(api, risk="high") == []


def test_the_schema_documents_the_new_filters(client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    for name in ("category", "flag", "risk", "language"):
        assert parameters[name]["in"] == "query"
        assert parameters[name]["description"]
    assert set(parameters["risk"]["schema"]["enum"]) >= {"standard", "medium", "high"}


def test_the_list_page_filters_and_keeps_its_filters(operator, otp_client, helpline) -> None:
    match = speaking(
        further(flagged(CaseFactory(helpline=helpline, risk_level="medium"), "weapon"), "economic"),
        "ro",
    )
    CaseFactory(helpline=helpline, risk_level="medium")
    client = otp_client(operator)
    page = client.get(
        "/cases/", {"category": "economic", "flag": "weapon", "risk": "medium", "language": "ro"}
    ).content.decode()

    assert f'href="/cases/{match.number}/"' in page
    assert page.count('href="/cases/LNT-') == 1
    assert '<option value="weapon" selected>Weapon mentioned</option>' in page
    assert '<option value="ro" selected>Romanian</option>' in page
    assert '<option value="medium" selected>Medium risk</option>' in page
    assert '<option value="economic" selected>' in page
    # the row says it in words
    assert "</span>Weapon mentioned<" in page
    assert "Medium risk</span>" in page
    assert "</span>Romanian<" in page
    # a search posted from the filtered list keeps the filters; the words go under a search id
    answer = client.post("/cases/", {"q": "Made-up Name", "flag": "weapon", "language": "ro"})
    assert answer["Location"].startswith("/cases/?flag=weapon&language=ro&search=")


def test_the_list_page_costs_the_same_however_many_flagged_cases(
    operator, otp_client, helpline, django_assert_max_num_queries
) -> None:
    client = otp_client(operator)
    speaking(flagged(CaseFactory(helpline=helpline), "weapon"), "pl")
    client.get("/cases/")
    with CaptureQueriesContext(connection) as few:
        client.get("/cases/")
    for i in range(15):
        speaking(flagged(CaseFactory(helpline=helpline), "weapon", "pregnant"), ["pl", "ur"][i % 2])
    with django_assert_max_num_queries(len(few)):
        page = client.get("/cases/").content.decode()
    assert page.count("</span>Pregnant<") == 15


def test_my_flagged_cases_lists_the_cases_carrying_a_flag_i_set(
    operator, supervisor, otp_client, helpline, api
) -> None:
    mine = CaseFactory(helpline=helpline)
    CaseFlag.objects.create(case=mine, flag=Flag.objects.get(code="weapon"), set_by=operator)
    theirs = CaseFactory(helpline=helpline)
    CaseFlag.objects.create(case=theirs, flag=Flag.objects.get(code="weapon"), set_by=supervisor)
    CaseFactory(helpline=helpline)
    client = otp_client(operator)

    page = client.get("/cases/").content.decode()
    assert f'<a href="?flagged_by={operator.pk}">' in page
    assert "My flagged cases" in page
    flagged = client.get("/cases/", {"flagged_by": operator.pk}).content.decode()
    assert "Cases carrying a flag you set" in flagged
    assert f'href="/cases/{mine.number}/"' in flagged
    assert theirs.number not in flagged
    # the filter survives a search from that list
    answer = client.post("/cases/", {"q": "Made-up", "flagged_by": operator.pk})
    assert answer["Location"].startswith(f"/cases/?flagged_by={operator.pk}&search=")
    # and the API reads it the same way
    assert numbers(api, flagged_by=str(supervisor.pk)) == [theirs.number]
    assert api.get("/api/v1/cases/", {"flagged_by": "someone"}).status_code == 400
