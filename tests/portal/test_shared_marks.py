"""What staff show the victim: a follow-up "meant for the victim" (a checkbox when it is set) and a
live referral "show the victim that <organisation> is helping" (a toggle on the case page's
referral row). Each through a service with a history reason and the case policy; each changes
what the portal shows."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.models import Case
from cases.workflow import NotAllowedError
from referrals.casework import ReferralError
from referrals.models import FollowUp, Referral
from referrals.sharing import share_referral_with_victim
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

HOME = "/portal/"


def _case_page(case: Case) -> str:
    return f"/cases/{case.number}/"


def _toggle(referral: Referral) -> str:
    return f"/referrals/{referral.pk}/shown-to-victim/"


# Follow-ups meant for the victim -----------------------------------------------------------------


def _set_follow_up(client, case: Case, **extra: str):
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    return client.post(
        f"{_case_page(case)}follow-ups/new/",
        {"kind": "appointment", "due_date": tomorrow.isoformat(), "due_time": "14:30", **extra},
    )


def test_a_follow_up_marked_for_the_victim_shows_in_the_portal(
    portal_case, operator, otp_client, victim_client
) -> None:
    # given
    staff = otp_client(operator)
    assert (
        "Meant for the victim: show it in the portal"
        in staff.get(f"{_case_page(portal_case)}follow-ups/new/").content.decode()
    )

    # when
    saved = _set_follow_up(staff, portal_case, for_victim="on", notes="Staff-only words")

    # then
    assert saved.status_code == 302
    follow_up = FollowUp.objects.get(case=portal_case)
    assert follow_up.for_victim is True
    record = follow_up.history.latest()
    assert record.history_user == operator
    assert record.history_change_reason == (
        "Follow-up set: Appointment (shown to the victim in the portal)"
    )
    home = victim_client.get(HOME).content.decode()
    assert "Coming up" in home
    assert "14:30" in home
    assert "Staff-only words" not in home
    assert (
        "Shown to the victim in the portal" in staff.get(_case_page(portal_case)).content.decode()
    )


def test_a_follow_up_not_marked_stays_internal(
    portal_case, operator, otp_client, victim_client
) -> None:
    _set_follow_up(otp_client(operator), portal_case)

    follow_up = FollowUp.objects.get(case=portal_case)
    assert follow_up.for_victim is False
    assert follow_up.history.latest().history_change_reason == "Follow-up set: Appointment"
    assert "Coming up" not in victim_client.get(HOME).content.decode()


# Referrals shown to the victim -------------------------------------------------------------------


def test_showing_a_live_referral_names_it_in_the_portal_until_hidden(
    portal_case, operator, cso, otp_client, victim_client
) -> None:
    # given
    referral = ReferralFactory(case=portal_case, organisation=cso)
    staff = otp_client(operator)
    page = staff.get(_case_page(portal_case)).content.decode()
    assert f"Show the victim that {cso.name} is helping" in page
    assert cso.name not in victim_client.get(HOME).content.decode()

    # when
    shown = staff.post(_toggle(referral), {"shown": "yes"})

    # then
    assert shown.status_code == 302
    referral.refresh_from_db()
    assert referral.shared_with_victim is True
    record = referral.history.latest()
    assert record.history_user == operator
    assert record.history_change_reason == (
        f"Shown to the victim in the portal: {cso.name} is helping"
    )
    assert cso.name in victim_client.get(HOME).content.decode()
    assert (
        f"Stop showing the victim that {cso.name}"
        in staff.get(_case_page(portal_case)).content.decode()
    )

    # when: hidden again
    staff.post(_toggle(referral), {"shown": "no"})

    # then
    referral.refresh_from_db()
    assert referral.shared_with_victim is False
    assert referral.history.latest().history_change_reason == (
        f"No longer shown to the victim in the portal: {cso.name}"
    )
    assert cso.name not in victim_client.get(HOME).content.decode()


def test_the_same_answer_twice_leaves_one_history_row(portal_case, operator, cso) -> None:
    referral = ReferralFactory(case=portal_case, organisation=cso)
    before = referral.history.count()
    share_referral_with_victim(referral=referral, actor=operator, shown=True)
    share_referral_with_victim(referral=referral, actor=operator, shown=True)
    assert referral.history.count() == before + 1


def test_an_ended_referral_cannot_be_shown(portal_case, operator, cso, otp_client) -> None:
    referral = ReferralFactory(case=portal_case, organisation=cso, status=Referral.Status.DECLINED)

    with pytest.raises(ReferralError):
        share_referral_with_victim(referral=referral, actor=operator, shown=True)
    refused = otp_client(operator).post(_toggle(referral), {"shown": "yes"})

    assert refused.status_code == 400
    referral.refresh_from_db()
    assert referral.shared_with_victim is False


def test_a_referral_that_ended_while_shown_can_still_be_hidden(portal_case, operator, cso) -> None:
    referral = ReferralFactory(
        case=portal_case,
        organisation=cso,
        status=Referral.Status.COMPLETED,
        shared_with_victim=True,
    )
    share_referral_with_victim(referral=referral, actor=operator, shown=False)
    referral.refresh_from_db()
    assert referral.shared_with_victim is False


def test_the_serving_organisation_may_show_itself(portal_case, cso_rep, otp_client) -> None:
    referral = ReferralFactory(case=portal_case, organisation=cso_rep.organisation)
    otp_client(cso_rep).post(_toggle(referral), {"shown": "yes"})
    referral.refresh_from_db()
    assert referral.shared_with_victim is True


def test_who_may_not_change_what_is_shown(
    portal_case, cso, monitor, other_operator, other_cso_rep, otp_client
) -> None:
    # given
    referral = ReferralFactory(case=portal_case, organisation=cso)

    # when: people who cannot see the case get 404, never a hint it exists; a monitor, who
    # reads cases but changes none, is refused
    answers = {
        outsider.username: otp_client(outsider).post(_toggle(referral), {"shown": "yes"})
        for outsider in (other_operator, other_cso_rep, monitor)
    }

    # then
    assert {name: r.status_code for name, r in answers.items()} == {
        other_operator.username: 404,
        other_cso_rep.username: 404,
        monitor.username: 403,
    }
    with pytest.raises(NotAllowedError):
        share_referral_with_victim(referral=referral, actor=monitor, shown=True)
    referral.refresh_from_db()
    assert referral.shared_with_victim is False


def test_the_toggle_is_a_post(portal_case, operator, cso, otp_client) -> None:
    referral = ReferralFactory(case=portal_case, organisation=cso)
    assert otp_client(operator).get(_toggle(referral)).status_code == 405
