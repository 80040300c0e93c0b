"""The case timeline: built from the history tables, every report, state change, claim, referral,
service, follow-up and note in order with who and when; and only what the reader may read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, Category, FollowUpKind, ServiceType
from cases.selectors import case_history
from cases.services import IncomingReport, add_note, close_case, open_case
from referrals import services
from referrals.services import FollowUpEntry, ReferralRequest, ServiceEntry
from triage.services import Verification, claim_case, verify_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def journey(helpline, operator, cso, cso_rep) -> Case:
    """A case taken from its first SMS to closed, by the services the people use."""
    case, _ = open_case(
        helpline=helpline,
        report=IncomingReport(
            channel="sms", source_id="SM" + "1" * 32, sender="+447700900111", body="Help"
        ),
    )
    claim_case(case=case, actor=operator)
    verify_case(
        case=case,
        actor=operator,
        verification=Verification(category=Category.objects.get(code="physical"), priority="high"),
    )
    add_note(case=case, actor=operator, text="CANARY-HELPLINE-INTERNAL")
    referral = services.refer_case(
        case=case, actor=operator, request=ReferralRequest(organisation=cso, consent=True)
    )
    services.accept_referral(referral=referral, actor=cso_rep)
    services.log_service(
        case=case,
        actor=cso_rep,
        entry=ServiceEntry(
            ServiceType.objects.get(code="counselling"),
            timezone.now(),
            30,
            "CANARY-CSO-SERVICE-NOTE",
        ),
    )
    services.add_follow_up(
        case=case,
        actor=cso_rep,
        entry=FollowUpEntry(
            FollowUpKind.objects.get(code="court-date"), timezone.now() + timedelta(days=3)
        ),
    )
    add_note(case=case, actor=cso_rep, text="CANARY-CSO-INTERNAL")
    services.resolve_case(case=case, actor=cso_rep, remark="Done", follow_ups="complete")
    close_case(case=case, actor=operator, remark="Checked", victim_check="checked")
    return case


def test_the_timeline_tells_the_whole_story_in_order(journey, operator) -> None:
    entries = case_history(operator, journey)

    told = [(e["record"], e["reason"], e["by"]) for e in entries]
    expected_in_order = [
        ("case", "Opened from a SMS report", None),
        ("report", "Report received", None),
        ("case", "Claimed", "amina"),
        ("case", "Verified as genuine", "amina"),
        ("case note", "Note", "amina"),
        ("referral", "Referred to Safe Haven", "amina"),
        ("case", "Referred to Safe Haven", "amina"),
        ("referral", "Referral accepted by Safe Haven", "chidi"),
        ("case", "Referral accepted by Safe Haven", "chidi"),
        ("service record", "Service logged: Counselling", "chidi"),
        ("referral", "Safe Haven completed its work", "chidi"),
        ("case note", "Resolution remark", "chidi"),
        ("case", "Safe Haven completed its work: resolved", "chidi"),
        ("case note", "Closing remark", "amina"),
        ("case", "Closed", "amina"),
    ]
    positions = [told.index(item) for item in expected_in_order]
    assert positions == sorted(positions), told
    dates = [e["at"] for e in entries]
    assert dates == sorted(dates)
    status_change = next(e for e in entries if e["reason"] == "Closed")
    assert {"field": "status", "from": "resolved", "to": "closed"} in status_change["changes"]


def test_each_reader_sees_only_their_own_internal_records(journey, operator, cso_rep) -> None:
    helpline_view = case_history(operator, journey)
    # the helpline sees its own note, not the CSO's follow-up or internal note
    assert ("case note", "amina") in {(e["record"], e["by"]) for e in helpline_view}
    assert not any(e["record"] == "follow up" for e in helpline_view)
    assert not any(
        e["record"] == "case note" and e["by"] == "chidi" and e["reason"] == "Note"
        for e in helpline_view
    )

    cso_view = case_history(cso_rep, journey)
    assert any(e["record"] == "follow up" for e in cso_view)
    assert not any(
        e["record"] == "case note" and e["by"] == "amina" and e["reason"] == "Note"
        for e in cso_view
    )
    # shared remarks are for everyone on the case
    assert any(e["reason"] == "Resolution remark" for e in helpline_view)

    # encrypted values never appear, whoever reads
    for view in (helpline_view, cso_view):
        assert "CANARY" not in str(view)


def test_monitors_read_the_story_without_any_value_about_a_person(journey, monitor) -> None:
    from cases.models import Person

    victim = Person.objects.create(name="Testperson Timeline", age=41, ethnicity="CANARY-ETHNICITY")
    journey.people.create(person=victim, role="victim")
    victim.age = 42
    victim.save()

    entries = case_history(monitor, journey)

    person_changes = [c for e in entries if e["record"] == "person" for c in e["changes"]]
    assert {"field": "age"} in person_changes  # that it changed, not from what to what
    assert "42" not in str(person_changes)
    assert "CANARY" not in str(entries)
    assert not any(e["record"] in ("case note", "follow up") for e in entries)
