"""Who viewed a case (SECURITY AU-06): supervisors and DPOs see the reads on the case page and on
a full page that is itself audited; everyone else is refused (403, or 404 where they cannot see
the case at all)."""

from __future__ import annotations

import pytest

from accounts.models import User
from cases.models import AccessLog
from tests.factories import CaseFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(helpline):
    return CaseFactory(helpline=helpline)


def _url(case) -> str:
    return f"/cases/{case.number}/access-log/"


def test_the_dpo_report_lists_who_read_the_case_and_is_audited(
    case, operator, supervisor, dpo, otp_client
) -> None:
    otp_client(operator).get(f"/cases/{case.number}/")
    otp_client(supervisor).get(f"/cases/{case.number}/")
    before = AccessLog.objects.count()

    page = otp_client(dpo).get(_url(case))

    assert page.status_code == 200
    reads = list(page.context["reads"])
    assert [(read.user, read.action) for read in reads] == [
        (dpo, AccessLog.Action.ACCESS_REPORT),
        (supervisor, AccessLog.Action.VIEW),
        (operator, AccessLog.Action.VIEW),
    ]
    text = page.content.decode()
    for who in (operator, supervisor, dpo):
        assert who.get_username() in text
    assert "Helpline operator" in text
    assert "Data protection officer" in text
    assert "Viewed who accessed a case" in text
    assert AccessLog.objects.count() == before + 1
    audit = AccessLog.objects.latest("id")
    assert (audit.user, audit.case, audit.action, audit.via) == (
        dpo,
        case,
        AccessLog.Action.ACCESS_REPORT,
        "web",
    )


def test_the_case_page_has_the_panel_for_reviewers_only(
    case, operator, supervisor, otp_client
) -> None:
    otp_client(operator).get(f"/cases/{case.number}/")
    page = otp_client(supervisor).get(f"/cases/{case.number}/")
    text = page.content.decode()
    assert "Who viewed this case" in text
    assert f'href="/cases/{case.number}/access-log/"' in text
    assert operator.get_username() in text
    # the panel adds no read of its own: the page is one read
    assert AccessLog.objects.filter(user=supervisor, case=case).count() == 1

    assert (
        "Who viewed this case"
        not in otp_client(operator).get(f"/cases/{case.number}/").content.decode()
    )


@pytest.mark.parametrize("who", ["operator", "monitor"])
def test_a_non_reviewer_who_sees_the_case_is_refused(who, case, request, otp_client) -> None:
    user = request.getfixturevalue(who)
    before = AccessLog.objects.count()
    assert otp_client(user).get(_url(case)).status_code == 403
    assert AccessLog.objects.count() == before


@pytest.mark.parametrize("who", ["cso_rep", "other_operator", "admin_user"])
def test_someone_who_cannot_see_the_case_gets_404(who, case, request, otp_client) -> None:
    assert otp_client(request.getfixturevalue(who)).get(_url(case)).status_code == 404


def test_a_dpo_of_another_helpline_gets_404(case, other_helpline, otp_client) -> None:
    outsider = StaffFactory(organisation=other_helpline, role=User.Role.DPO)
    assert otp_client(outsider).get(_url(case)).status_code == 404
    assert not AccessLog.objects.filter(user=outsider).exists()
