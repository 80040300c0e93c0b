"""Flags, further categories and the victim's language set while verifying (console and API): part
of the record from the start, each with its history row, the reason and who; bad codes store
nothing."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, CaseCategory, CaseFlag, CasePerson, Flag
from tests.factories import CaseFactory
from tests.helpline.test_console_views import VERIFY_FORM
from triage.services import claim_case

pytestmark = pytest.mark.django_db

REASON = "Recorded at verification"


def claimed(operator) -> Case:
    return claim_case(case=CaseFactory(helpline=operator.organisation), actor=operator)


def flags_of(case: Case) -> set[str]:
    return set(case.flag_links.values_list("flag__code", flat=True))


def further_of(case: Case) -> set[str]:
    return set(case.other_categories.values_list("category__code", flat=True))


def test_the_console_records_flags_further_categories_and_language(operator, otp_client) -> None:
    case = claimed(operator)
    client = otp_client(operator)
    page = client.get(f"/console/{case.number}/verify/").content.decode()
    assert "Other problems" in page
    assert 'value="child_involved"' in page
    assert "Language they speak" in page

    form = {
        **VERIFY_FORM,
        # the primary ticked again as a further one is not recorded twice
        "categories": ["economic", "physical", "coercive-control"],
        "flags": ["child_involved", "interpreter"],
        "victim_language": "pl",
    }
    answer = client.post(f"/console/{case.number}/verify/", form)

    assert answer.status_code == 302, answer.content.decode()
    case.refresh_from_db()
    assert case.status == "verified"
    assert further_of(case) == {"economic", "physical"}
    assert flags_of(case) == {"child_involved", "interpreter"}
    victim = case.people.get(role=CasePerson.Role.VICTIM).person
    assert victim.language.code == "pl"
    for history in (
        *CaseFlag.history.filter(case_id=case.pk),
        *CaseCategory.history.filter(case_id=case.pk),
    ):
        assert (history.history_change_reason, history.history_user) == (REASON, operator)
    assert CaseFlag.objects.filter(case=case, set_by=operator).count() == 2
    # the case list shows them in words
    row = client.get("/cases/", {"flag": "interpreter"}).content.decode()
    assert case.number in row
    assert "</span>Interpreter needed<" in row
    assert "</span>Polish<" in row


def test_flags_already_set_are_ticked_and_unticking_clears_them(operator, otp_client) -> None:
    case = claimed(operator)
    CaseFlag.objects.create(case=case, flag=Flag.objects.get(code="weapon"))
    CaseFlag.objects.create(case=case, flag=Flag.objects.get(code="pregnant"))
    Flag.objects.filter(code="pregnant").update(is_active=False)  # retired since it was set
    client = otp_client(operator)
    page = client.get(f"/console/{case.number}/verify/").content.decode()
    assert re.search(r'<input type="checkbox" name="flags" value="weapon"[^>]* checked>', page)
    assert 'value="pregnant"' not in page  # a retired flag is not offered...

    answer = client.post(
        f"/console/{case.number}/verify/", {**VERIFY_FORM, "flags": ["no_phone_contact"]}
    )

    assert answer.status_code == 302, answer.content.decode()
    # ...nor cleared by not being ticked; the one unticked is cleared, with the reason
    assert flags_of(case) == {"no_phone_contact", "pregnant"}
    cleared = CaseFlag.history.filter(case_id=case.pk, history_type="-").get()
    assert cleared.flag.code == "weapon"
    assert cleared.history_change_reason == REASON


def test_a_code_not_on_the_lists_is_a_400_and_nothing_is_stored(operator, otp_client) -> None:
    case = claimed(operator)
    client = otp_client(operator)
    for bad in ({"flags": ["no-such-flag"]}, {"categories": ["nope"]}, {"victim_language": "xx"}):
        answer = client.post(f"/console/{case.number}/verify/", {**VERIFY_FORM, **bad})
        assert answer.status_code == 400
        assert "Choose" in answer.content.decode()
    case.refresh_from_db()
    assert case.status == "in_triage"
    assert not case.flag_links.exists()
    assert not case.other_categories.exists()
    assert not case.people.exists()


@pytest.fixture
def api(operator) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")
    return client


API_VERIFY = {"category": "physical", "priority": "high"}


def test_the_api_records_flags_further_categories_and_language(operator, api) -> None:
    case = claimed(operator)
    payload = {
        **API_VERIFY,
        "categories": ["sexual", "economic"],
        "flags": ["high_risk", "disability_access"],
        "victim": {"name": "Testperson Api", "language": "ro"},
    }
    answer = api.post(f"/api/v1/cases/{case.number}/verify/", payload, format="json")

    assert answer.status_code == 200, answer.json()
    assert sorted(answer.json()["flags"]) == ["disability_access", "high_risk"]
    case.refresh_from_db()
    assert further_of(case) == {"sexual", "economic"}
    assert case.people.get(role="victim").person.language.code == "ro"
    assert CaseFlag.history.filter(case_id=case.pk, history_change_reason=REASON).count() == 2


def test_verifying_without_flags_leaves_those_set_before(operator, api) -> None:
    case = claimed(operator)
    CaseFlag.objects.create(case=case, flag=Flag.objects.get(code="high_risk"))
    answer = api.post(f"/api/v1/cases/{case.number}/verify/", API_VERIFY, format="json")
    assert answer.status_code == 200, answer.json()
    assert flags_of(case) == {"high_risk"}


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"flags": ["high_risk", "no-such-flag"]}, "flags"),
        ({"categories": ["nope"]}, "categories"),
        ({"victim": {"language": "xx"}}, "victim"),
    ],
)
def test_the_api_refuses_an_unknown_code_naming_it(operator, api, bad, field) -> None:
    case = claimed(operator)
    answer = api.post(f"/api/v1/cases/{case.number}/verify/", {**API_VERIFY, **bad}, format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    case.refresh_from_db()
    assert case.status == "in_triage"
    assert not case.flag_links.exists()
    assert not case.other_categories.exists()
