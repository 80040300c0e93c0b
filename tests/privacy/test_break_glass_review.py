"""The break-glass review queue (/privacy/break-glass/): the helpline's supervisors and DPOs mark
each break-glass justified or not; never their own; nobody else reaches it."""

from __future__ import annotations

import pytest

from accounts.models import User
from cases import sealing
from cases.models import BreakGlass
from cases.workflow import NotAllowedError
from tests.factories import CaseFactory, StaffFactory

pytestmark = pytest.mark.django_db

REASON = "Made-up reason: the caller asked for the case worker"


@pytest.fixture
def grant(helpline, supervisor, operator) -> BreakGlass:
    case = sealing.seal(
        case=CaseFactory(helpline=helpline), named_users=[], by=supervisor, reason="Staff member"
    )
    return sealing.break_glass(case=case, user=operator, reason=REASON)


@pytest.mark.parametrize("who", ["operator", "cso_rep", "monitor", "admin_user"])
def test_only_reviewers_reach_the_queue(who, request, otp_client, grant) -> None:
    client = otp_client(request.getfixturevalue(who))
    assert client.get("/privacy/break-glass/").status_code == 403
    answer = client.post(
        f"/privacy/break-glass/{grant.pk}/review/", {f"grant-{grant.pk}-outcome": "justified"}
    )
    assert answer.status_code == 403
    grant.refresh_from_db()
    assert grant.outcome == BreakGlass.Outcome.PENDING


def test_the_queue_shows_who_which_case_when_and_why(grant, dpo, otp_client) -> None:
    page = otp_client(dpo).get("/privacy/break-glass/")
    assert page.status_code == 200
    html = page.content.decode()
    assert grant.case.number in html
    assert grant.user.username in html
    assert REASON in html


def test_not_justified_needs_a_note_then_is_recorded(grant, dpo, otp_client) -> None:
    client = otp_client(dpo)
    url = f"/privacy/break-glass/{grant.pk}/review/"
    prefix = f"grant-{grant.pk}"

    refused = client.post(url, {f"{prefix}-outcome": "not_justified", f"{prefix}-note": ""})

    assert refused.status_code == 400
    assert f'id="id_{prefix}-note_error"' in refused.content.decode()
    done = client.post(url, {f"{prefix}-outcome": "not_justified", f"{prefix}-note": "No need"})
    assert done.status_code == 302
    grant.refresh_from_db()
    assert (grant.outcome, grant.review_note, grant.reviewed_by) == (
        BreakGlass.Outcome.NOT_JUSTIFIED,
        "No need",
        dpo,
    )
    assert grant.history.filter(history_user=dpo).exists()
    # reviewed: out of the queue, and not reviewed twice
    assert f'id="grant-{grant.pk}"' not in client.get("/privacy/break-glass/").content.decode()
    assert client.post(url, {f"{prefix}-outcome": "justified"}).status_code == 404


def test_nobody_reviews_their_own(helpline, supervisor, dpo, otp_client) -> None:
    other_supervisor = StaffFactory(organisation=helpline, role=User.Role.SUPERVISOR)
    case = sealing.seal(
        case=CaseFactory(helpline=helpline), named_users=[], by=dpo, reason="Public figure"
    )
    own = sealing.break_glass(case=case, user=other_supervisor, reason=REASON)

    client = otp_client(other_supervisor)
    assert case.number not in client.get("/privacy/break-glass/").content.decode()
    answer = client.post(
        f"/privacy/break-glass/{own.pk}/review/", {f"grant-{own.pk}-outcome": "justified"}
    )
    assert answer.status_code == 404
    with pytest.raises(NotAllowedError):
        sealing.review(grant=own, outcome="justified", note="", by=other_supervisor)
    sealing.review(grant=own, outcome="justified", note="", by=supervisor)


def test_another_helplines_reviewers_do_not_see_it(grant, other_helpline, otp_client) -> None:
    theirs = StaffFactory(organisation=other_helpline, role=User.Role.SUPERVISOR)
    client = otp_client(theirs)
    assert grant.case.number not in client.get("/privacy/break-glass/").content.decode()
    answer = client.post(
        f"/privacy/break-glass/{grant.pk}/review/", {f"grant-{grant.pk}-outcome": "justified"}
    )
    assert answer.status_code == 404
