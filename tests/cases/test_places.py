"""The gazetteer in casework (cases.places): what was typed normalised and split into words and a
postcode; suggestions by postcode (whole or begun), by the beginning of the address and by word
beginnings anywhere, ten at most; matching a case's incident and a person's address to a place,
with history and the case's version; the cases a place lists are only those the user may see.
Every UPRN, address and postcode here is made up."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from cases.addresses import current_address, move_address
from cases.changes import CaseChanges, StaleVersionError
from cases.models import AccessLog, Case, CasePerson, Place
from cases.places import (
    change_with_places,
    normalise,
    parse_query,
    place_record,
    search_text,
    set_case_place,
    set_contact_place,
    suggest,
)
from cases.workflow import CaseError, NotAllowedError, ReadOnlyError
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReferralFactory, category

pytestmark = pytest.mark.django_db


def place(uprn: str, address: str = "", postcode: str = "") -> Place:
    now = timezone.now()
    return Place.objects.create(
        uprn=uprn, address=address, postcode=postcode, search_text=search_text(address),
        created_at=now, updated_at=now,
    )  # fmt: skip


@pytest.fixture
def street() -> list[Place]:
    return [
        place("910000000001", "1 Quillon Street, Testbury", "ZZ9 1AA"),
        place("910000000002", "2 Quillon Street, Testbury", "ZZ9 1AA"),
        place("910000000010", "10 Quillon Street, Testbury", "ZZ9 1AB"),
        place("910000000011", "Flat 3, 14 Wickmere Close, Testbury", "ZZ9 2CD"),
        place("910000000012", "The Old Forge, Quillon Lane, Testbury", "ZZ8 5EF"),
    ]


@pytest.fixture
def case(helpline) -> Case:
    return CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, category=category())


def uprns(found: list[Place]) -> list[str]:
    return [entry.uprn for entry in found]


# What was typed ---------------------------------------------------------------------------------


def test_text_is_normalised_without_case_accents_or_punctuation() -> None:
    assert normalise("  Flat 2,  10 Rue Éclair-Nord ") == "flat 2 10 rue eclair nord"
    assert normalise("") == ""


@pytest.mark.parametrize(
    ("typed", "words", "postcode", "whole"),
    [
        ("12 High St", ("12", "high", "st"), "", False),
        ("12 High St, SW1A 2AA", ("12", "high", "st"), "SW1A 2AA", True),
        ("sw1a2aa", (), "SW1A 2AA", True),
        ("High St SW1A 2", ("high", "st"), "SW1A 2", False),
        ("SW1A", (), "SW1A", False),
    ],
)
def test_a_postcode_at_the_end_is_told_apart(typed, words, postcode, whole) -> None:
    query = parse_query(typed)
    assert (query.words, query.postcode, query.whole_postcode) == (words, postcode, whole)


# Suggestions ------------------------------------------------------------------------------------


def test_a_whole_postcode_suggests_its_places_in_house_number_order(street) -> None:
    assert uprns(suggest("zz9 1aa")) == ["910000000001", "910000000002"]
    assert uprns(suggest("ZZ91AB")) == ["910000000010"]
    # the other words narrow it down, in any order
    assert uprns(suggest("2 quillon ZZ9 1AA")) == ["910000000002"]


def test_a_postcode_begun_suggests_the_places_under_it(street) -> None:
    assert uprns(suggest("ZZ9 1")) == ["910000000001", "910000000002", "910000000010"]
    assert uprns(suggest("zz8")) == ["910000000012"]


def test_the_beginning_of_an_address_or_its_words_anywhere(street) -> None:
    assert uprns(suggest("1 quillon")) == ["910000000001"]
    assert uprns(suggest("quillon")) == [
        "910000000001", "910000000002", "910000000010", "910000000012"
    ]  # fmt: skip
    assert uprns(suggest("the old f")) == ["910000000012"]
    assert uprns(suggest("14 Wickmere")) == ["910000000011"]  # words inside it
    assert uprns(suggest("quillon testbury 10")) == ["910000000010"]
    assert suggest("nowhere road") == []


def test_too_little_typed_suggests_nothing(street) -> None:
    assert suggest("1 ") == []
    assert suggest("") == []


def test_at_most_ten_are_suggested() -> None:
    for number in range(1, 16):
        place(f"92000000{number:04d}", f"{number} Longrow Terrace, Testbury", "ZZ7 7GH")

    assert len(suggest("longrow terrace")) == 10
    assert len(suggest("ZZ7 7GH")) == 10
    assert uprns(suggest("longrow"))[:3] == ["920000000001", "920000000002", "920000000003"]


# Matching a case's incident ---------------------------------------------------------------------


def test_matching_the_incident_keeps_history_and_raises_the_version(case, operator, street) -> None:
    # when
    changed = set_case_place(case=case, place=street[0], actor=operator, reason="Caller said")

    # then
    case.refresh_from_db()
    assert case.place == street[0]
    assert case.version == 2
    latest = case.history.latest()
    assert latest.history_user == operator
    assert latest.history_change_reason == "Matched to a place: Caller said"
    assert latest.prev_record.place_id is None
    assert changed.version == 2


def test_a_monitor_reads_that_the_place_changed_never_which_it_is(
    case, operator, monitor, street
) -> None:
    from cases.selectors import case_history

    set_case_place(case=case, place=street[0], actor=operator, reason="Caller said")

    def place_changes(user):  # type: ignore[no-untyped-def]
        return [c for e in case_history(user, case) for c in e["changes"] if c["field"] == "place"]

    assert place_changes(monitor) == [{"field": "place"}]
    [seen] = place_changes(operator)
    assert seen["to"] == str(street[0])


def test_the_same_place_again_changes_nothing(case, operator, street) -> None:
    set_case_place(case=case, place=street[0], actor=operator, reason="Caller said")

    set_case_place(case=case, place=street[0], actor=operator, reason="Caller said")

    case.refresh_from_db()
    assert case.version == 2
    assert case.history.count() == 2


def test_a_match_is_taken_off_with_history(case, operator, street) -> None:
    set_case_place(case=case, place=street[0], actor=operator, reason="Caller said")

    set_case_place(case=case, place=None, actor=operator, reason="Wrong street")

    case.refresh_from_db()
    assert case.place is None
    assert case.history.latest().history_change_reason == "Place match taken off: Wrong street"


def test_matching_is_refused_without_a_reason_or_to_those_who_may_not(
    case, operator, other_operator, monitor, street
) -> None:
    with pytest.raises(CaseError):
        set_case_place(case=case, place=street[0], actor=operator, reason=" ")
    for outsider in (other_operator, monitor):
        with pytest.raises(NotAllowedError):
            set_case_place(case=case, place=street[0], actor=outsider, reason="Trying")
    case.status = Case.Status.ARCHIVED
    case.save(update_fields=["status"])
    with pytest.raises(ReadOnlyError):
        set_case_place(case=case, place=street[0], actor=operator, reason="Too late")
    assert not Case.objects.filter(place__isnull=False).exists()


def test_a_stale_version_is_refused(case, operator, supervisor, street) -> None:
    set_case_place(case=case, place=street[0], actor=supervisor, reason="Caller said")

    with pytest.raises(StaleVersionError) as refused:
        set_case_place(case=case, place=street[1], actor=operator, reason="Mine", version=1)

    assert refused.value.changed_by == supervisor.username
    case.refresh_from_db()
    assert case.place == street[0]


# Matching a person's address --------------------------------------------------------------------


def _victim_with_address(case: Case, actor) -> CasePerson:
    link = CasePersonFactory(case=case, person=PersonFactory(), role=CasePerson.Role.VICTIM)
    move_address(link.person, "14 Wickmere Close", actor, "Told us")
    return link


def test_matching_an_address_keeps_history(case, operator, street) -> None:
    # given
    link = _victim_with_address(case, operator)
    address = current_address(link.person)

    # when
    set_contact_place(contact=address, place=street[3], actor=operator, reason="Checked")

    # then
    address.refresh_from_db()
    assert address.place == street[3]
    latest = address.history.latest()
    assert latest.history_user == operator
    assert latest.history_change_reason == "Matched to a place: Checked"


def test_only_an_address_is_matched_and_only_by_who_may_change_the_person(
    case, operator, other_operator, street
) -> None:
    link = _victim_with_address(case, operator)
    address = current_address(link.person)

    with pytest.raises(NotAllowedError):
        set_contact_place(contact=address, place=street[3], actor=other_operator, reason="No")
    address.kind.shape = "phone"
    address.kind.save(update_fields=["shape"])
    with pytest.raises(CaseError, match="Only an address"):
        set_contact_place(contact=address, place=street[3], actor=operator, reason="Checked")
    address.refresh_from_db()
    assert address.place is None


def test_a_change_of_details_and_places_is_all_or_none(case, operator, street) -> None:
    # given: a victim with no address yet
    CasePersonFactory(case=case, person=PersonFactory(), role=CasePerson.Role.VICTIM)

    # when: the priority, the incident's place and an address-less victim's place
    with pytest.raises(CaseError, match="victim's address"):
        change_with_places(
            case=case, actor=operator, version=1, reason="Rang back",
            changes=CaseChanges(priority="high"), incident_place=street[0],
            victim_place=street[3],
        )  # fmt: skip

    # then: nothing of it was kept
    case.refresh_from_db()
    assert (case.priority, case.place, case.version) == ("standard", None, 1)


def test_a_move_and_its_place_in_one_change(case, operator, street) -> None:
    link = _victim_with_address(case, operator)

    change_with_places(
        case=case, actor=operator, version=1, reason="Moved",
        changes=CaseChanges(victim={"address": "Flat 3, 14 Wickmere Close"}),
        victim_place=street[3], incident_place=street[4],
    )  # fmt: skip

    case.refresh_from_db()
    assert case.place == street[4]
    assert current_address(link.person).place == street[3]
    ended = link.person.contacts.exclude(valid_to=None).get()
    assert ended.place is None  # the old address keeps no match it never had


# A place and its cases --------------------------------------------------------------------------


def test_a_place_lists_only_the_cases_the_user_may_see(
    case, operator, other_helpline, cso_rep, street
) -> None:
    # given: this helpline's case happened there, another helpline's too, and someone on a third
    # case of this helpline lives there
    request = RequestFactory().get(f"/places/{street[3].uprn}/")
    set_case_place(case=case, place=street[3], actor=operator, reason="Caller said")
    theirs = CaseFactory(helpline=other_helpline, status=Case.Status.VERIFIED, place=street[3])
    lives_there = CaseFactory(helpline=case.helpline, status=Case.Status.VERIFIED)
    address = current_address(_victim_with_address(lives_there, operator).person)
    set_contact_place(contact=address, place=street[3], actor=operator, reason="Checked")

    # when
    record = place_record(operator, street[3].uprn, request=request)
    served = place_record(cso_rep, street[3].uprn, request=request)

    # then
    listed = {linked.case.number: (linked.incident, linked.address) for linked in record.cases}
    assert listed == {case.number: (True, False), lives_there.number: (False, True)}
    assert theirs.number not in listed
    assert served.cases == []  # a CSO sees a case only while it is referred to it
    ReferralFactory(case=lives_there, organisation=cso_rep.organisation, status="accepted")
    served = place_record(cso_rep, street[3].uprn, request=request)
    assert [linked.case.number for linked in served.cases] == [lives_there.number]
    assert AccessLog.objects.filter(detail=f"place {street[3].uprn}").count() == 3


def test_an_unknown_uprn_and_a_monitor_get_404(monitor, operator, street) -> None:
    request = RequestFactory().get("/places/1/")
    with pytest.raises(Http404):
        place_record(operator, "999999999999", request=request)
    with pytest.raises(Http404):
        place_record(operator, "not-a-uprn", request=request)
    with pytest.raises(Http404):
        place_record(monitor, street[0].uprn, request=request)


# The indexes that keep it fast ------------------------------------------------------------------


@pytest.mark.real_services
def test_postgresql_serves_the_postcode_beginning_and_words_look_ups_from_indexes(
    require_postgresql, street
) -> None:
    """A million places are read through the postcode and search_text indexes (Django adds a
    pattern-ops index to each on PostgreSQL), never a scan of the table. Told the planner to avoid
    a scan where it can: a table of five rows would be scanned anyway."""
    look_ups = [
        Place.objects.order_by().filter(postcode="ZZ9 1AA"),
        Place.objects.order_by().filter(postcode__startswith="ZZ9"),
        Place.objects.order_by().filter(search_text__startswith="1 quillon"),
        # a typed word anywhere in the address: the trigram index (cases migration 0020)
        Place.objects.order_by().filter(search_text__contains="wickmere"),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for look_up in look_ups:
            sql, params = look_up.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan, plan
            assert "Index" in plan, plan
