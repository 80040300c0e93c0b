"""Verifying is a change of the case's details like any other (found by review): it raises the
version, so a change made on what was read before is refused, not silently overwritten; and a
victim's new address keeps the one they had on the record with its dates."""

from __future__ import annotations

import pytest

from cases.addresses import current_address
from cases.changes import CaseChanges, StaleVersionError, change_case
from cases.manual import NewVictim, StaffReport, open_staff_case
from cases.models import CasePerson, PersonContact
from tests.factories import category
from triage.services import Verification, VictimRecord, verify_case

pytestmark = pytest.mark.django_db


def _walk_in(operator, address: str = "1 Made-up Row, TE5 1AA"):
    case, _ = open_staff_case(
        actor=operator,
        report=StaffReport(
            channel="walk_in",
            description="Made-up walk-in",
            victim=NewVictim(name="Made Up Victim", address=address),
            claim=True,
        ),
    )
    return case


def test_a_change_on_what_was_read_before_verification_is_refused(operator, supervisor) -> None:
    case = _walk_in(operator)
    read = case.version

    verify_case(
        case=case,
        actor=operator,
        verification=Verification(category=category(), priority="high"),
    )

    with pytest.raises(StaleVersionError) as stale:
        change_case(
            case=case, actor=supervisor, version=read, reason="Made-up reason",
            changes=CaseChanges(priority="standard"),
        )  # fmt: skip
    assert stale.value.details["changed_by"] == operator.get_username()
    case.refresh_from_db()
    assert case.priority == "high"


def test_a_new_address_at_verification_keeps_the_old_one_with_its_dates(operator) -> None:
    case = _walk_in(operator)
    victim = case.people.get(role=CasePerson.Role.VICTIM).person

    verify_case(
        case=case,
        actor=operator,
        verification=Verification(
            category=category(),
            priority="standard",
            victim=VictimRecord(address="2 Other Made-up Street, TE6 2BB"),
        ),
    )

    victim.refresh_from_db()
    assert victim.address == "2 Other Made-up Street, TE6 2BB"
    assert current_address(victim).value == victim.address
    addresses = {row.value: row.valid_to for row in PersonContact.objects.filter(person=victim)}
    assert addresses["2 Other Made-up Street, TE6 2BB"] is None  # current
    assert addresses["1 Made-up Row, TE5 1AA"] is not None  # ended, kept
