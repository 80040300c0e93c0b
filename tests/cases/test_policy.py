"""The access policy: who sees which case, through every path that reads cases."""

from __future__ import annotations

import pytest

from cases.models import AccessLog
from cases.policy import REFERRAL_STATUSES_GRANTING_ACCESS, visible_cases
from referrals.models import Referral
from tests.factories import CaseFactory, CasePersonFactory, ReferralFactory, ReportFactory

pytestmark = pytest.mark.django_db

CANARY = "CANARY-VICTIM-7Q2"


def test_policy_and_referrals_agree_on_which_statuses_grant_access() -> None:
    assert set(REFERRAL_STATUSES_GRANTING_ACCESS) == set(Referral.GRANTS_ACCESS)


@pytest.fixture
def world(helpline, other_helpline, cso, other_cso):
    """Two helplines' cases; one referred to our CSO, one to the other CSO, one declined to ours."""
    ours = CaseFactory(helpline=helpline)
    theirs = CaseFactory(helpline=other_helpline)
    referred_to_us = CaseFactory(helpline=helpline)
    ReferralFactory(case=referred_to_us, organisation=cso)
    referred_elsewhere = CaseFactory(helpline=other_helpline)
    ReferralFactory(case=referred_elsewhere, organisation=other_cso)
    declined = CaseFactory(helpline=helpline)
    ReferralFactory(case=declined, organisation=cso, status=Referral.Status.DECLINED)
    for case in (ours, theirs, referred_to_us, referred_elsewhere, declined):
        ReportFactory(case=case, body=f"{CANARY} {case.number}")
    return {
        "ours": ours,
        "theirs": theirs,
        "referred_to_us": referred_to_us,
        "referred_elsewhere": referred_elsewhere,
        "declined": declined,
    }


def _visible(user) -> set[str]:
    return set(visible_cases(user).values_list("number", flat=True))


def test_helpline_staff_see_their_helplines_cases(world, operator, supervisor) -> None:
    expected = {world[k].number for k in ("ours", "referred_to_us", "declined")}
    assert _visible(operator) == expected
    assert _visible(supervisor) == expected


def test_cso_staff_see_only_live_referrals_to_their_organisation(world, cso_rep, other_cso_rep):
    assert _visible(cso_rep) == {world["referred_to_us"].number}
    assert _visible(other_cso_rep) == {world["referred_elsewhere"].number}


def test_monitors_see_every_case_and_admins_none(world, monitor, admin_user) -> None:
    assert _visible(monitor) == {case.number for case in world.values()}
    assert _visible(admin_user) == set()


def test_inactive_staff_and_inactive_organisations_see_nothing(world, operator, helpline) -> None:
    helpline.is_active = False
    helpline.save()
    operator.refresh_from_db()
    assert _visible(operator) == set()


def test_cso_cannot_reach_another_organisations_case_by_any_path(
    world, cso_rep, otp_client
) -> None:
    client = otp_client(cso_rep)
    hidden = [world[k] for k in ("ours", "theirs", "referred_elsewhere", "declined")]
    for case in hidden:
        for url in (
            f"/cases/{case.number}/",
            f"/api/v1/cases/{case.number}/",
            f"/api/v1/cases/{case.number}/history/",
        ):
            response = client.get(url)
            assert response.status_code == 404, url
            assert CANARY not in response.content.decode()
    # lists, searches and filters, including ones that name the other organisations
    for query in (
        "",
        f"?q={world['theirs'].number}",
        "?organisation=legal-aid",
        "?organisation=south-helpline",
        "?organisation=north-helpline",
        "?status=new",
    ):
        page = client.get("/cases/" + query).content.decode()
        listed = {c["number"] for c in client.get("/api/v1/cases/" + query).json()["results"]}
        for case in hidden:
            assert f'href="/cases/{case.number}/"' not in page, query
            assert CANARY not in page
            assert case.number not in listed, query
    assert not AccessLog.objects.filter(case__in=hidden).exists()


def test_monitor_reads_cases_without_identities(world, monitor, otp_client) -> None:
    CasePersonFactory(case=world["ours"], person__name=f"{CANARY} Name")
    client = otp_client(monitor)
    for url in (f"/cases/{world['ours'].number}/", f"/api/v1/cases/{world['ours'].number}/"):
        response = client.get(url)
        assert response.status_code == 200
        assert CANARY not in response.content.decode()
    data = client.get(f"/api/v1/cases/{world['ours'].number}/").json()
    assert data["reports"][0]["body"] is None
    assert data["people"][0]["name"] is None


def test_searching_identities_is_only_for_those_who_may_see_them(
    world, monitor, operator, otp_client
) -> None:
    CasePersonFactory(case=world["ours"], person__name="Testperson Searchable")
    by_name = "/api/v1/cases/?q=testperson%20%20SEARCHABLE"
    assert [c["number"] for c in otp_client(operator).get(by_name).json()["results"]] == [
        world["ours"].number
    ]
    assert otp_client(monitor).get(by_name).json()["results"] == []
