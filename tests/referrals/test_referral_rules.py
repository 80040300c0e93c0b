"""The referral rules: consent, accept/decline/withdraw, the deadline, onward referral, resolving,
sending back, closing, reopening and archival, through the services every view and API calls."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from cases.models import Case, CaseNote, FollowUpKind, ServiceType
from cases.policy import visible_cases
from cases.services import VictimCheck, add_note, archive_closed_cases, close_case, reopen_case
from cases.targets import PriorityTarget
from cases.workflow import CaseError, ConflictError, IllegalMoveError, NotAllowedError
from notifications.models import Notification
from referrals import services
from referrals.models import FollowUp, Referral
from referrals.services import FollowUpEntry, ReferralError, ReferralRequest, ServiceEntry
from tests.factories import CaseFactory, StaffFactory

pytestmark = pytest.mark.django_db

S = Case.Status


@pytest.fixture
def case(helpline, operator) -> Case:
    """A verified case, held by the operator who verified it."""
    return CaseFactory(helpline=helpline, status=S.VERIFIED, claimed_by=operator, priority="high")


def refer(case, actor, organisation, **kwargs) -> Referral:
    kwargs.setdefault("consent", True)
    return services.refer_case(
        case=case, actor=actor, request=ReferralRequest(organisation=organisation, **kwargs)
    )


def status(case: Case) -> str:
    return Case.objects.get(pk=case.pk).status


def sees(user, case: Case) -> bool:
    return visible_cases(user).filter(pk=case.pk).exists()


# Referring, with consent -------------------------------------------------------------------------


def test_referring_with_consent_hands_the_case_over_and_tells_the_organisation(
    case, operator, cso, cso_rep
) -> None:
    before = timezone.now()
    referral = refer(case, operator, cso, reason="Needs counselling")

    assert referral.status == Referral.Status.PENDING
    assert status(case) == S.REFERRED
    assert referral.referred_by_organisation == operator.organisation
    # a high-priority case: four hours to answer by default
    assert before + timedelta(hours=4) <= referral.deadline <= timezone.now() + timedelta(hours=4)
    assert sees(cso_rep, case)
    alert = Notification.objects.get(recipient=cso_rep, kind="referral.received", channel="in_app")
    assert alert.text == f"New referral: case {case.number}"  # a number, never the victim
    assert referral.history.first().history_change_reason == "Referred to Safe Haven"


def test_without_consent_nothing_is_referred(case, operator, cso, cso_rep) -> None:
    with pytest.raises(ReferralError, match="not consented"):
        refer(case, operator, cso, consent=False)

    assert not Referral.objects.exists()
    assert status(case) == S.VERIFIED
    assert not sees(cso_rep, case)


def test_only_a_supervisor_overrides_consent_and_only_with_a_reason(
    case, operator, supervisor, cso, caplog
) -> None:
    with pytest.raises(NotAllowedError):
        refer(case, operator, cso, consent=False, consent_override="She is in hospital")
    with pytest.raises(ReferralError):
        refer(case, supervisor, cso, consent=False, consent_override="  ")
    assert not Referral.objects.exists()

    with caplog.at_level(logging.WARNING):
        referral = refer(
            case, supervisor, cso, consent=False, consent_override="CANARY-OVERRIDE-REASON"
        )

    assert referral.consent is False
    assert referral.consent_overridden_by == supervisor
    note = CaseNote.objects.get(case=case, kind=CaseNote.Kind.CONSENT_OVERRIDE)
    assert note.shared
    assert note.text == "CANARY-OVERRIDE-REASON"
    assert note.author == supervisor
    assert "override by joan" in referral.history.first().history_change_reason
    event = next(r for r in caplog.records if r.getMessage() == "referral_consent_override")
    assert event.case_id == case.pk
    assert event.user_id == supervisor.pk
    assert "CANARY" not in caplog.text  # the reason is audited on the case, never logged


@pytest.mark.parametrize("state", [S.NEW, S.IN_TRIAGE, S.DISCARDED, S.RESOLVED, S.CLOSED])
def test_only_a_verified_case_still_being_worked_on_can_be_referred(
    state, helpline, operator, cso
) -> None:
    case = CaseFactory(helpline=helpline, status=state)
    with pytest.raises(ConflictError):
        refer(case, operator, cso)
    assert not Referral.objects.exists()


def test_a_case_goes_to_several_organisations_but_to_each_once(
    case, operator, cso, other_cso
) -> None:
    refer(case, operator, cso)
    refer(case, operator, other_cso)
    with pytest.raises(ConflictError, match="already has this case"):
        refer(case, operator, cso)
    assert case.referrals.count() == 2


def test_refused_destinations(case, operator, helpline, other_helpline, cso, other_cso_rep):
    with pytest.raises(ReferralError):
        refer(case, operator, other_helpline)  # not a CSO
    cso.is_active = False
    cso.save()
    with pytest.raises(ReferralError):
        refer(case, operator, cso)
    with pytest.raises(ReferralError, match="cannot take referrals"):
        refer(
            case, operator, other_cso_rep.organisation, assignee=StaffFactory(organisation=helpline)
        )


def test_other_helplines_and_cso_staff_cannot_refer(case, other_operator, cso, cso_rep, monitor):
    for outsider in (other_operator, cso_rep, monitor):
        with pytest.raises(NotAllowedError):
            refer(case, outsider, cso)


# Answering ---------------------------------------------------------------------------------------


def test_accepting_puts_the_case_in_service_and_tells_the_referrer(case, operator, cso, cso_rep):
    referral = refer(case, operator, cso)

    services.accept_referral(referral=referral, actor=cso_rep)

    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.responded_by == cso_rep
    assert referral.assignee == cso_rep
    assert status(case) == S.IN_SERVICE
    assert Notification.objects.filter(recipient=operator, kind="referral.accepted").exists()
    with pytest.raises(ConflictError, match="already accepted"):
        services.accept_referral(referral=referral, actor=cso_rep)


def test_only_the_receiving_organisation_answers(case, operator, cso, other_cso_rep, supervisor):
    referral = refer(case, operator, cso)
    for outsider in (other_cso_rep, operator, supervisor):
        with pytest.raises(NotAllowedError):
            services.accept_referral(referral=referral, actor=outsider)
        with pytest.raises(NotAllowedError):
            services.decline_referral(referral=referral, actor=outsider, reason="No")
    assert Referral.objects.get().status == Referral.Status.PENDING


def test_declining_needs_a_reason_and_ends_the_receivers_access(case, operator, cso, cso_rep):
    referral = refer(case, operator, cso)
    with pytest.raises(ReferralError, match="Say why"):
        services.decline_referral(referral=referral, actor=cso_rep, reason=" ")

    services.decline_referral(referral=referral, actor=cso_rep, reason="No capacity this month")

    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED
    assert referral.ended_at is not None
    assert status(case) == S.VERIFIED  # nobody has it: refer again
    assert not sees(cso_rep, case)
    assert Notification.objects.filter(recipient=operator, kind="referral.declined").exists()


def test_a_declined_referral_leaves_the_case_with_the_organisation_still_on_it(
    case, operator, cso, other_cso, cso_rep, other_cso_rep
) -> None:
    refer(case, operator, cso)
    second = refer(case, operator, other_cso)
    services.decline_referral(referral=second, actor=other_cso_rep, reason="Not our area")
    assert status(case) == S.REFERRED
    assert sees(cso_rep, case)
    assert not sees(other_cso_rep, case)


def test_the_referrer_withdraws_a_pending_referral_only(case, operator, cso, cso_rep) -> None:
    referral = refer(case, operator, cso)
    with pytest.raises(NotAllowedError):
        services.withdraw_referral(referral=referral, actor=cso_rep)

    services.withdraw_referral(referral=referral, actor=operator)

    assert Referral.objects.get().status == Referral.Status.WITHDRAWN
    assert status(case) == S.VERIFIED
    assert not sees(cso_rep, case)
    assert Notification.objects.filter(recipient=cso_rep, kind="referral.withdrawn").exists()
    again = refer(case, operator, cso)
    services.accept_referral(referral=again, actor=cso_rep)
    with pytest.raises(ConflictError):
        services.withdraw_referral(referral=again, actor=operator)


# The deadline ------------------------------------------------------------------------------------


def test_a_referral_past_its_deadline_is_flagged_to_the_referrers_supervisors_once(
    case, operator, supervisor, cso, other_cso, cso_rep, settings
) -> None:
    settings.REFERRAL_ACCEPT_HOURS = {"high": 4, "medium": 24, "standard": 72}
    late = refer(case, operator, cso)
    answered = refer(case, operator, other_cso)
    services.decline_referral(
        referral=answered, actor=StaffFactory(organisation=other_cso, role="cso_rep"), reason="No"
    )
    assert services.flag_overdue_referrals() == 0  # not due yet

    with time_machine.travel(timezone.now() + timedelta(hours=4, minutes=1)):
        assert late.is_overdue
        assert services.flag_overdue_referrals() == 1
        assert services.flag_overdue_referrals() == 0  # once

    late.refresh_from_db()
    assert late.escalated_at is not None
    assert late.status == Referral.Status.PENDING
    told = set(
        Notification.objects.filter(kind="referral.overdue").values_list("recipient", flat=True)
    )
    assert told == {operator.pk, supervisor.pk}


def test_the_deadline_follows_the_cases_priority(helpline, operator, cso) -> None:
    PriorityTarget.objects.filter(priority="standard").update(accept_hours=48)
    case = CaseFactory(helpline=helpline, status=S.VERIFIED, priority="standard")
    referral = refer(case, operator, cso)
    assert referral.deadline - referral.created_at == timedelta(hours=48)


# Onward referral, services, resolution -----------------------------------------------------------


@pytest.fixture
def in_service(case, operator, cso, cso_rep) -> Case:
    services.accept_referral(referral=refer(case, operator, cso), actor=cso_rep)
    return case


def test_a_cso_serving_the_case_refers_it_onward(
    in_service, cso_rep, other_cso, other_cso_rep, operator
) -> None:
    onward = refer(in_service, cso_rep, other_cso, reason="Legal help")
    assert onward.referred_by_organisation == cso_rep.organisation
    assert status(in_service) == S.IN_SERVICE
    assert sees(other_cso_rep, in_service)
    with pytest.raises(NotAllowedError):  # the helpline did not make this referral
        services.withdraw_referral(referral=onward, actor=operator)
    services.withdraw_referral(referral=onward, actor=cso_rep)
    assert not sees(other_cso_rep, in_service)


def test_a_cso_only_told_about_a_case_cannot_refer_it_onward(
    case, operator, cso, cso_rep, other_cso
):
    refer(case, operator, cso)  # pending, not accepted
    with pytest.raises(NotAllowedError):
        refer(case, cso_rep, other_cso)


def test_logging_a_service(in_service, cso_rep, other_cso_rep) -> None:
    counselling = ServiceType.objects.get(code="counselling")
    record = services.log_service(
        case=in_service,
        actor=cso_rep,
        entry=ServiceEntry(counselling, timezone.now(), 45, "Made-up session notes"),
    )
    assert record.organisation == cso_rep.organisation
    assert record.recorded_by == cso_rep
    assert record.history.first().history_change_reason == "Service logged: Counselling"

    for bad in (
        ServiceEntry(counselling, timezone.now() + timedelta(hours=1)),
        ServiceEntry(counselling, timezone.now(), 0),
        ServiceEntry(counselling, timezone.now(), 24 * 60 + 1),
    ):
        with pytest.raises(ReferralError):
            services.log_service(case=in_service, actor=cso_rep, entry=bad)
    retired = ServiceType.objects.create(code="retired", label="Retired", is_active=False)
    with pytest.raises(ReferralError):
        services.log_service(
            case=in_service, actor=cso_rep, entry=ServiceEntry(retired, timezone.now())
        )
    with pytest.raises(NotAllowedError):
        services.log_service(
            case=in_service, actor=other_cso_rep, entry=ServiceEntry(counselling, timezone.now())
        )
    assert in_service.services.count() == 1


def test_no_services_before_verification(helpline, operator) -> None:
    case = CaseFactory(helpline=helpline, status=S.IN_TRIAGE, claimed_by=operator)
    with pytest.raises(ConflictError):
        services.log_service(
            case=case,
            actor=operator,
            entry=ServiceEntry(ServiceType.objects.get(code="counselling"), timezone.now()),
        )


def test_resolving_completes_the_referral_and_asks_the_holder_to_close(
    in_service, cso_rep, operator
) -> None:
    with pytest.raises(ReferralError):
        services.resolve_case(case=in_service, actor=cso_rep, remark="")

    services.resolve_case(case=in_service, actor=cso_rep, remark="Six sessions given")

    assert status(in_service) == S.RESOLVED
    assert Referral.objects.get().status == Referral.Status.COMPLETED
    assert not sees(cso_rep, in_service)  # their part is over: so is their access
    remark = CaseNote.objects.get(kind=CaseNote.Kind.RESOLUTION)
    assert remark.shared
    assert remark.text == "Six sessions given"
    alert = Notification.objects.get(kind="case.resolved")
    assert alert.recipient == operator
    assert "Six sessions" not in alert.text


def test_a_case_with_two_organisations_resolves_when_both_are_done(
    in_service, operator, cso_rep, other_cso, other_cso_rep
) -> None:
    services.accept_referral(referral=refer(in_service, operator, other_cso), actor=other_cso_rep)

    services.resolve_case(case=in_service, actor=cso_rep, remark="Counselling done")
    assert status(in_service) == S.IN_SERVICE
    services.resolve_case(case=in_service, actor=other_cso_rep, remark="Legal case filed")
    assert status(in_service) == S.RESOLVED


def test_the_helpline_sends_a_resolved_case_back(in_service, cso_rep, operator) -> None:
    services.resolve_case(case=in_service, actor=cso_rep, remark="Done")

    services.send_back(case=in_service, actor=operator, remark="She still needs support")

    assert status(in_service) == S.IN_SERVICE
    assert Referral.objects.get().status == Referral.Status.ACCEPTED
    assert sees(cso_rep, in_service)
    assert Notification.objects.filter(recipient=cso_rep, kind="case.sent_back").exists()
    with pytest.raises(IllegalMoveError):
        close_case(case=in_service, actor=operator, remark="Too early")


def test_closing_and_reopening(in_service, cso_rep, operator, supervisor) -> None:
    services.resolve_case(case=in_service, actor=cso_rep, remark="Done")
    with pytest.raises(NotAllowedError):
        close_case(case=in_service, actor=cso_rep, remark="Not mine to close")

    close_case(case=in_service, actor=operator, remark="All well", victim_check=VictimCheck.CHECKED)

    closed = Case.objects.get(pk=in_service.pk)
    assert closed.status == S.CLOSED
    assert closed.closed_at is not None
    with pytest.raises(CaseError, match="Say why"):
        reopen_case(case=closed, actor=operator, reason="")
    reopen_case(case=closed, actor=supervisor, reason="She called again")
    reopened = Case.objects.get(pk=in_service.pk)
    assert reopened.status == S.VERIFIED
    assert reopened.closed_at is None
    assert CaseNote.objects.get(kind=CaseNote.Kind.REOPENED).text == "She called again"


# Archival ----------------------------------------------------------------------------------------


def test_closed_cases_are_archived_after_the_configured_days_and_then_read_only(
    helpline, operator, cso, settings
) -> None:
    settings.ARCHIVE_AFTER_DAYS = 30
    old = CaseFactory(
        helpline=helpline, status=S.CLOSED, closed_at=timezone.now() - timedelta(days=31)
    )
    recent = CaseFactory(
        helpline=helpline, status=S.CLOSED, closed_at=timezone.now() - timedelta(days=29)
    )

    assert archive_closed_cases() == 1
    assert archive_closed_cases() == 0

    assert status(old) == S.ARCHIVED
    assert status(recent) == S.CLOSED
    assert old.history.first().history_change_reason == "Archived 30 days after closing"
    archived = Case.objects.get(pk=old.pk)
    for attempt in (
        lambda: add_note(case=archived, actor=operator, text="Late note"),
        lambda: reopen_case(case=archived, actor=operator, reason="Again"),
        lambda: refer(archived, operator, cso),
    ):
        with pytest.raises(ConflictError, match="archived"):
            attempt()
    assert not CaseNote.objects.filter(case=old).exists()


# Follow-ups --------------------------------------------------------------------------------------


def test_follow_ups_and_the_daily_digest(in_service, cso_rep, other_cso_rep) -> None:
    court = FollowUpKind.objects.get(code="court-date")
    now = timezone.now()
    overdue = services.add_follow_up(
        case=in_service, actor=cso_rep, entry=FollowUpEntry(court, now - timedelta(hours=2))
    )
    services.add_follow_up(
        case=in_service, actor=cso_rep, entry=FollowUpEntry(court, now + timedelta(minutes=1))
    )
    with pytest.raises(ReferralError):  # a colleague must be of the same organisation
        services.add_follow_up(
            case=in_service,
            actor=cso_rep,
            entry=FollowUpEntry(court, now, assignee=other_cso_rep),
        )
    assert overdue.is_overdue

    assert services.send_follow_up_digests(now=now) == 1
    assert services.send_follow_up_digests(now=now) == 0  # once a day
    digest = Notification.objects.get(kind="follow_ups.digest")
    assert digest.recipient == cso_rep
    assert digest.text in (
        "Follow-ups: 1 due today, 1 overdue",
        "Follow-ups: 0 due today, 2 overdue",
    )

    done = services.complete_follow_up(follow_up=overdue, actor=cso_rep)
    assert done.done_at is not None
    assert not done.is_overdue
    with pytest.raises(NotAllowedError):
        services.complete_follow_up(follow_up=overdue, actor=other_cso_rep)
    assert FollowUp.objects.filter(done_at=None).count() == 1


# Two people at once (PostgreSQL) -----------------------------------------------------------------


def _at_once(work, actors) -> list[object]:
    barrier = threading.Barrier(len(actors))

    def run(actor) -> object:
        barrier.wait()
        try:
            return work(actor)
        except CaseError as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(len(actors)) as pool:
        return list(pool.map(run, actors))


@pytest.mark.django_db(transaction=True)
def test_two_people_accepting_one_referral_at_once(require_postgresql, helpline, cso) -> None:
    operator = StaffFactory(organisation=helpline)
    case = CaseFactory(helpline=helpline, status=S.VERIFIED)
    referral = refer(case, operator, cso)
    reps = [StaffFactory(organisation=cso, role="cso_rep") for _ in range(4)]

    results = _at_once(lambda rep: services.accept_referral(referral=referral, actor=rep), reps)

    assert sum(isinstance(r, Referral) for r in results) == 1
    assert all(isinstance(r, ConflictError) for r in results if not isinstance(r, Referral))
    assert status(case) == S.IN_SERVICE
    assert case.history.filter(status=S.IN_SERVICE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_operators_referring_one_case_to_one_organisation_at_once(
    require_postgresql, helpline, cso
) -> None:
    case = CaseFactory(helpline=helpline, status=S.VERIFIED)
    operators = [StaffFactory(organisation=helpline) for _ in range(4)]

    results = _at_once(lambda op: refer(case, op, cso), operators)

    assert sum(isinstance(r, Referral) for r in results) == 1
    assert Referral.objects.filter(case=case).count() == 1
    assert case.history.filter(status=S.REFERRED).count() == 1
