"""Sealed cases (SECURITY AC-06): only people named on them read them; to everyone else of the same
organisation they do not exist (404 on the page and the API, in no list, search or queue)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import issue_api_token
from cases import sealing
from cases.models import Case, CaseSeal
from cases.policy import may_break_glass, visible_cases
from cases.workflow import CaseError, ConflictError, NotAllowedError
from helpline.selectors import queue_snapshot
from tests.factories import CaseFactory, ReferralFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(helpline, supervisor, operator) -> Case:
    case = CaseFactory(helpline=helpline)
    return sealing.seal(case=case, named_users=[operator], by=supervisor, reason="Staff member")


@pytest.fixture
def colleague(helpline) -> User:
    return StaffFactory(username="colleague", organisation=helpline, role=User.Role.OPERATOR)


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


def test_the_sealer_and_the_named_read_it(sealed, operator, supervisor, otp_client) -> None:
    assert set(CaseSeal.objects.filter(case=sealed).values_list("user", flat=True)) == {
        operator.pk,
        supervisor.pk,
    }
    for user in (operator, supervisor):
        assert otp_client(user).get(f"/cases/{sealed.number}/").status_code == 200
        assert api(user).get(f"/api/v1/cases/{sealed.number}/").status_code == 200


def test_others_of_the_same_helpline_get_404_everywhere(sealed, colleague, dpo, otp_client) -> None:
    for user in (colleague, dpo):
        client = otp_client(user)
        assert client.get(f"/cases/{sealed.number}/").status_code == 404
        assert client.get(f"/cases/{sealed.number}/print/").status_code == 404
        assert api(user).get(f"/api/v1/cases/{sealed.number}/").status_code == 404
        listed = api(user).get("/api/v1/cases/").json()
        assert sealed.number not in {c["number"] for c in listed["results"]}
        found = api(user).post("/api/v1/cases/search/", {"q": sealed.number}, format="json")
        assert sealed.number not in found.content.decode()
        page = client.get(client.post("/cases/", {"q": sealed.number})["Location"])
        assert f'href="/cases/{sealed.number}/"' not in page.content.decode()
        assert sealed.number not in {c["number"] for c in queue_snapshot(user)}
        assert may_break_glass(user, sealed)


def test_a_case_that_is_not_sealed_is_unchanged(helpline, colleague) -> None:
    case = CaseFactory(helpline=helpline)
    assert visible_cases(colleague).filter(pk=case.pk).exists()
    assert not may_break_glass(colleague, case)


def test_other_helplines_cannot_break_the_glass(sealed, other_operator, otp_client) -> None:
    assert not may_break_glass(other_operator, sealed)
    client = otp_client(other_operator)
    assert client.get(f"/cases/{sealed.number}/break-glass/").status_code == 404


def test_a_cso_with_an_accepted_referral_is_treated_the_same(
    helpline, supervisor, cso, cso_rep, otp_client
) -> None:
    case = CaseFactory(helpline=helpline)
    ReferralFactory(case=case, organisation=cso, referred_by=supervisor)
    assert visible_cases(cso_rep).filter(pk=case.pk).exists()
    case = sealing.seal(case=case, named_users=[], by=supervisor, reason="Public figure")

    assert not visible_cases(cso_rep).filter(pk=case.pk).exists()
    assert otp_client(cso_rep).get(f"/cases/{case.number}/").status_code == 404
    assert may_break_glass(cso_rep, case)

    sealing.name(case=case, user=cso_rep, by=supervisor, reason="Works the referral")
    assert otp_client(cso_rep).get(f"/cases/{case.number}/").status_code == 200


def test_only_the_helplines_supervisors_and_dpos_manage_the_seal(
    helpline, operator, supervisor, dpo, other_operator
) -> None:
    case = CaseFactory(helpline=helpline)
    with pytest.raises(NotAllowedError):
        sealing.seal(case=case, named_users=[], by=operator, reason="x")
    sealing.seal(case=case, named_users=[], by=dpo, reason="Known locally")
    with pytest.raises(ConflictError):
        sealing.seal(case=case, named_users=[], by=supervisor, reason="again")
    with pytest.raises(ConflictError):  # the last named person: unseal instead
        sealing.unname(case=case, user=dpo, by=dpo, reason="x")
    with pytest.raises(CaseError):  # someone whose role does not reach it
        sealing.name(case=case, user=other_operator, by=dpo, reason="x")


def test_unsealing_opens_it_again_and_history_keeps_who_and_why(
    sealed, colleague, supervisor
) -> None:
    sealing.unseal(case=sealed, by=supervisor, reason="No longer needed")
    assert visible_cases(colleague).filter(pk=sealed.pk).exists()
    assert not CaseSeal.objects.filter(case=sealed).exists()
    reasons = list(sealed.history.values_list("history_change_reason", flat=True))
    assert "Sealed: Staff member" in reasons
    assert "Unsealed: No longer needed" in reasons
    removed = CaseSeal.history.filter(case_id=sealed.pk, history_type="-")
    assert removed.count() == 2
    assert {row.history_user_id for row in removed} == {supervisor.pk}


def test_the_panel_shows_the_seal_and_its_forms(sealed, supervisor, operator, otp_client) -> None:
    page = otp_client(supervisor).get(f"/cases/{sealed.number}/").content.decode()
    assert 'id="sealing"' in page
    assert "Unseal the case" in page
    assert operator.username in page
    named_page = otp_client(operator).get(f"/cases/{sealed.number}/").content.decode()
    assert "Sealed case" in named_page
    assert "Unseal the case" not in named_page


def test_seal_and_unseal_through_the_case_page(helpline, supervisor, operator, otp_client) -> None:
    case = CaseFactory(helpline=helpline)
    client = otp_client(supervisor)
    assert "Seal this case" in client.get(f"/cases/{case.number}/").content.decode()

    refused = client.post(f"/cases/{case.number}/seal/", {"seal-reason": ""})
    assert refused.status_code == 400

    done = client.post(
        f"/cases/{case.number}/seal/", {"seal-reason": "Staff member", "seal-named": [operator.pk]}
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.sealed
    assert CaseSeal.objects.filter(case=case, user=operator).exists()

    assert (
        otp_client(operator)
        .post(f"/cases/{case.number}/unseal/", {"unseal-reason": "x"})
        .status_code
        == 403
    )
    client.post(f"/cases/{case.number}/unseal/", {"unseal-reason": "Over"})
    case.refresh_from_db()
    assert not case.sealed
