"""Changing a case's details after triage (issue 12 item 1): flags, further categories, and the
whole change of cases.changes with its version check, policy and history."""

from __future__ import annotations

from datetime import date

import pytest

from cases.addresses import move_address
from cases.change_forms import ChangeForm, _raw, initial_for
from cases.changes import CaseChanges, PersonChange, StaleVersionError, change_case
from cases.flags import set_categories, set_flags
from cases.models import Case, CaseFlag, CasePerson, Language, Person, PersonContact, Relationship
from cases.policy import changeable_details
from cases.selectors import case_history
from cases.timeline import readable
from cases.workflow import CaseError, NotAllowedError, ReadOnlyError
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    PersonFactory,
    ReferralFactory,
    StaffFactory,
    category,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(helpline) -> Case:
    return CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, category=category())


def test_set_flags_adds_and_removes_with_history_and_one_version(
    case, operator, captured_broadcasts
):
    set_flags(case=case, actor=operator, add=["high_risk", "weapon"], reason="Told on the phone")
    case.refresh_from_db()
    assert case.version == 2
    assert sorted(case.flag_links.values_list("flag__code", flat=True)) == ["high_risk", "weapon"]
    set_flags(case=case, actor=operator, remove=["weapon"], reason="Was a misunderstanding")
    case.refresh_from_db()
    assert case.version == 3
    rows = CaseFlag.history.filter(case_id=case.pk).order_by("history_date")
    assert [(r.history_type, r.history_change_reason) for r in rows] == [
        ("+", "Told on the phone"),
        ("+", "Told on the phone"),
        ("-", "Was a misunderstanding"),
    ]
    assert all(r.history_user == operator for r in rows)
    assert case.history.first().history_change_reason == "Was a misunderstanding"


def test_set_flags_that_changes_nothing_keeps_the_version(case, operator):
    set_flags(case=case, actor=operator, remove=["weapon"], reason="Not there")
    case.refresh_from_db()
    assert case.version == 1


def test_set_flags_refuses_unknown_codes_and_a_blank_reason(case, operator):
    with pytest.raises(CaseError, match="Unknown flags: nonsense") as refused:
        set_flags(case=case, actor=operator, add=["high_risk", "nonsense"], reason="Why")
    assert refused.value.details == {"flags": ["Unknown code: nonsense."]}
    with pytest.raises(CaseError, match="Say why"):
        set_flags(case=case, actor=operator, add=["high_risk"], reason="  ")
    assert not case.flag_links.exists()


def test_set_flags_refuses_a_merged_case(case, operator):
    Case.objects.filter(pk=case.pk).update(status=Case.Status.MERGED)
    with pytest.raises(ReadOnlyError):
        set_flags(case=case, actor=operator, add=["high_risk"], reason="Why")


def test_set_categories_keeps_the_primary_apart(case, operator):
    set_categories(case=case, actor=operator, codes=["physical", "economic"], reason="Also money")
    case.refresh_from_db()
    assert case.category.code == "physical"
    assert list(case.other_categories.values_list("category__code", flat=True)) == ["economic"]
    assert case.version == 2


# The whole change (cases.changes) -----------------------------------------------------------------


def _victim(case: Case, **fields) -> Person:
    return CasePersonFactory(case=case, person=PersonFactory(**fields)).person


def _change(case, actor, version=None, reason="Victim rang back", **parts):
    return change_case(
        case=case,
        actor=actor,
        version=case.version if version is None else version,
        reason=reason,
        changes=CaseChanges(**parts),
    )


def test_case_fields_change_in_one_history_row_with_old_and_new_values(case, operator):
    _change(case, operator, priority="high", category=category("sexual"), area=None,
            incident={"location": "At the park"})  # fmt: skip
    case.refresh_from_db()
    assert (case.priority, case.category.code, case.incident_location) == (
        "high", "sexual", "At the park"
    )  # fmt: skip
    assert case.version == 2
    row = case.history.first()
    assert row.history_change_reason == "Changed: Victim rang back"
    assert row.history_user == operator
    changed = {c.field: (c.old, c.new) for c in row.diff_against(row.prev_record).changes}
    assert changed["priority"] == ("standard", "high")
    assert changed["version"] == (1, 2)
    assert "incident_location" in changed


def test_victim_details_and_a_move_keep_the_old_address_with_dates(case, operator):
    victim = _victim(case, address="1 Old Road")
    _change(case, operator, victim={
        "name": "New Name", "age": 31, "date_of_birth": date(1994, 5, 1),
        "language": Language.objects.get(code="pl"), "address": "2 New Street",
        "moved_on": date(2026, 11, 1),
        "contact": {"contact": "none", "channels": [], "language": "pl"},
    })  # fmt: skip
    victim.refresh_from_db()
    assert (victim.name, victim.age, victim.date_of_birth, victim.language.code) == (
        "New Name", 31, "1994-05-01", "pl"
    )  # fmt: skip
    assert victim.address == "2 New Street"
    assert victim.contact_preferences["contact"] == "none"
    rows = [(row.value, row.valid_from, row.valid_to) for row in PersonContact.objects.filter(
        person=victim).order_by("pk")]  # fmt: skip
    assert rows == [
        ("1 Old Road", None, date(2026, 11, 1)),
        ("2 New Street", date(2026, 11, 1), None),
    ]
    assert victim.history.first().history_change_reason == "Changed: Victim rang back"
    assert case.__class__.objects.get(pk=case.pk).version == 2


def test_move_address_twice_keeps_each_address_with_its_dates(operator):
    person = PersonFactory(address="")
    move_address(person, "First Flat", operator, "Moved", date(2026, 1, 1))
    move_address(person, "Second Flat", operator, "Moved", date(2026, 6, 1))
    assert [(r.value, r.valid_from, r.valid_to) for r in person.contacts.order_by("pk")] == [
        ("First Flat", date(2026, 1, 1), date(2026, 6, 1)),
        ("Second Flat", date(2026, 6, 1), None),
    ]


def test_perpetrators_are_added_changed_and_taken_off_with_history(case, operator, monkeypatch):
    alerted = []
    monkeypatch.setattr(
        "cases.people_changes.alert_known_perpetrators",
        lambda *, case, people, actor: alerted.append([p.name for p in people]),
    )
    partner = Relationship.objects.get(code="partner")
    old = CasePersonFactory(case=case, role="perpetrator", relationship=partner,
                            person=PersonFactory(name="Old Perp"))  # fmt: skip
    gone = CasePersonFactory(case=case, role="perpetrator", relationship=partner)
    _change(case, operator, perpetrators=[
        PersonChange(id=old.pk, fields={"age": 40}),
        PersonChange(id=gone.person_id, remove=True),
        PersonChange(fields={"name": "Brand New", "relationship": partner}),
    ])  # fmt: skip
    links = CasePerson.objects.filter(case=case, role="perpetrator")
    assert sorted(link.person.name for link in links) == ["Brand New", "Old Perp"]
    old.person.refresh_from_db()
    assert old.person.age == 40
    assert Person.objects.filter(pk=gone.person_id).exists()  # the person stays
    removed = CasePerson.history.filter(id=gone.pk, history_type="-").get()
    assert removed.history_change_reason == "Changed: Victim rang back"
    assert alerted == [["Brand New"]]


def test_unknown_perpetrator_is_refused_and_nothing_stored(case, operator):
    with pytest.raises(CaseError, match="No perpetrator 999"):
        _change(case, operator, priority="high", perpetrators=[PersonChange(id=999, fields={})])
    case.refresh_from_db()
    assert (case.priority, case.version) == ("standard", 1)


def test_reporter_is_added_changed_and_removed(case, operator):
    friend = Relationship.objects.get(code="friend")
    _change(case, operator, reporter={"name": "A Friend", "relationship": friend})
    link = CasePerson.objects.get(case=case, role="reporter")
    assert (link.person.name, link.relationship.code) == ("A Friend", "friend")
    case.refresh_from_db()
    professional = Relationship.objects.get(code="professional")
    _change(case, operator, reporter={"relationship": professional})
    link.refresh_from_db()
    assert link.relationship.code == "professional"
    case.refresh_from_db()
    _change(case, operator, reporter=None)
    assert not CasePerson.objects.filter(case=case, role="reporter").exists()
    case.refresh_from_db()
    assert case.version == 4


def test_flags_and_further_categories_as_whole_lists(case, operator):
    _change(case, operator, flags=["high_risk", "interpreter"],
            categories=[category("economic"), category("stalking")])  # fmt: skip
    case.refresh_from_db()
    _change(case, operator, flags=["interpreter"], categories=[category("stalking")])
    case.refresh_from_db()
    assert list(case.flag_links.values_list("flag__code", flat=True)) == ["interpreter"]
    assert list(case.other_categories.values_list("category__code", flat=True)) == ["stalking"]
    assert case.version == 3


def test_nothing_sent_nothing_different_and_no_reason_are_refused(case, operator):
    with pytest.raises(CaseError, match="Nothing to change."):
        _change(case, operator)
    with pytest.raises(CaseError, match="Nothing to change: what you sent"):
        _change(case, operator, priority="standard")
    with pytest.raises(CaseError, match="Say why"):
        _change(case, operator, priority="high", reason=" ")
    case.refresh_from_db()
    assert (case.version, case.priority) == (1, "standard")


def test_a_stale_version_is_refused_with_who_when_and_what(case, operator, supervisor):
    _change(case, supervisor, priority="high")
    with pytest.raises(StaleVersionError) as stale:
        _change(case, operator, version=1, priority="medium")
    details = stale.value.details
    assert details["version"] == 2
    assert details["changed_by"] == "joan"
    assert {"record": "case", "field": "priority", "from": "standard", "to": "high"} in details[
        "changes"
    ]
    assert stale.value.http_status == 409
    case.refresh_from_db()
    assert case.priority == "high"


def test_a_stale_version_names_changed_people_without_their_values(case, operator, supervisor):
    _victim(case, name="Secret Name")
    _change(case, supervisor, victim={"name": "Other Secret"})
    with pytest.raises(StaleVersionError) as stale:
        _change(case, operator, version=1, priority="medium")
    assert {"record": "person", "field": "name", "from": None, "to": None} in stale.value.details[
        "changes"
    ]
    assert "Secret" not in str(stale.value.details)


def test_a_stale_version_after_a_change_with_no_field_of_its_own_still_says_who_when_and_why(
    case, operator, supervisor
):
    """A reference added (or a merge, a risk assessment) bumps the version without a field the
    timeline shows: the 409 still names who, when and why, and lists no bookkeeping fields."""
    from cases.models import ReferenceType
    from cases.references import add_reference

    add_reference(
        actor=supervisor, case=case, kind=ReferenceType.objects.get(code="crime_number"),
        value="CR/0001/26", issued_by="Made-up Police", reason="Police gave a crime number",
    )  # fmt: skip
    with pytest.raises(StaleVersionError) as stale:
        _change(case, operator, version=1, priority="medium")
    details = stale.value.details
    assert (details["changed_by"], details["version"]) == ("joan", 2)
    assert details["changed_at"] is not None
    assert "crime number" in details["reason"].lower()
    assert details["changes"]
    assert not [c for c in details["changes"] if c["field"] in ("version", "updated_at")]


# Who may change what (cases.policy.changeable_details) ----------------------------------------------


def test_in_triage_only_the_holder_or_a_supervisor(helpline, operator, supervisor):
    holder = StaffFactory(organisation=helpline)
    case = CaseFactory(helpline=helpline, status="in_triage", claimed_by=holder)
    with pytest.raises(NotAllowedError):
        _change(case, operator, priority="high")
    _change(case, holder, priority="high")
    case.refresh_from_db()
    _change(case, supervisor, priority="medium")


def test_a_cso_serving_changes_people_and_flags_only(case, cso_rep, helpline):
    ReferralFactory(case=case, organisation=cso_rep.organisation, status="accepted")
    _change(case, cso_rep, flags=["high_risk"])
    case.refresh_from_db()
    with pytest.raises(NotAllowedError, match="priority"):
        _change(case, cso_rep, priority="high")


def test_a_cso_with_a_pending_referral_and_a_monitor_change_nothing(case, cso_rep, monitor):
    ReferralFactory(case=case, organisation=cso_rep.organisation, status="pending")
    for user in (cso_rep, monitor):
        with pytest.raises(NotAllowedError):
            _change(case, user, flags=["high_risk"])


@pytest.mark.parametrize("status", ["archived", "merged"])
def test_archived_and_merged_cases_are_read_only(case, operator, status):
    Case.objects.filter(pk=case.pk).update(status=status)
    with pytest.raises(ReadOnlyError):
        _change(case, operator, priority="high")


# The page (cases.change_views) ------------------------------------------------------------------


def _page_data(case: Case, user, **typed) -> dict[str, list[str]]:
    """What the page posts when `user` typed `typed` over the case as it was drawn."""
    case = Case.objects.get(pk=case.pk)
    form = ChangeForm(case=case, parts=changeable_details(user, case), initial=initial_for(case))
    data = {}
    for name in form.fields:
        data[name] = _raw(form[name].value())
        data[form.add_initial_prefix(name)] = _raw(form[name].value())
    data |= {name: _raw(value) for name, value in typed.items()}
    return data


def test_the_case_page_offers_change_details_to_those_who_may(case, operator, monitor, otp_client):
    url = f"/cases/{case.number}/"
    assert 'id="change-details"' in otp_client(operator).get(url).content.decode()
    assert 'id="change-details"' not in otp_client(monitor).get(url).content.decode()
    assert otp_client(monitor).get(f"{url}change/").status_code == 403


def test_the_form_is_prefilled_and_has_only_the_parts_allowed(case, operator, cso_rep, otp_client):
    _victim(case, name="Prefilled Name")
    page = otp_client(operator).get(f"/cases/{case.number}/change/").content.decode()
    assert 'data-draft="change"' in page
    assert 'value="Prefilled Name"' in page
    assert 'name="priority"' in page
    ReferralFactory(case=case, organisation=cso_rep.organisation, status="accepted")
    page = otp_client(cso_rep).get(f"/cases/{case.number}/change/").content.decode()
    assert 'name="priority"' not in page
    assert 'name="flags"' in page


def test_the_page_changes_only_what_was_changed(case, operator, otp_client):
    _victim(case, name="Kept Name", address="1 Old Road")
    answer = otp_client(operator).post(
        f"/cases/{case.number}/change/",
        _page_data(case, operator, priority="high", flags=["weapon"], reason="Rang back"),
    )
    assert answer.status_code == 302
    case.refresh_from_db()
    assert (case.priority, case.version) == ("high", 2)
    assert list(case.flag_links.values_list("flag__code", flat=True)) == ["weapon"]
    victim = CasePerson.objects.get(case=case, role="victim").person
    assert victim.history.count() == 1  # the victim was not touched
    assert not PersonContact.objects.filter(person=victim).exists()


def test_the_page_refuses_no_reason_and_keeps_the_input(case, operator, otp_client):
    answer = otp_client(operator).post(
        f"/cases/{case.number}/change/", _page_data(case, operator, priority="high", reason="")
    )
    assert answer.status_code == 400
    assert "Say why you change it." in answer.content.decode()
    case.refresh_from_db()
    assert (case.priority, case.version) == ("standard", 1)


def test_a_stale_page_comes_back_with_the_input_kept_and_what_changed(
    case, operator, supervisor, otp_client
):
    _victim(case, name="First Name")
    drawn = _page_data(case, operator, victim_name="Typed Name", reason="Spelling")
    _change(case, supervisor, priority="high")  # meanwhile
    answer = otp_client(operator).post(f"/cases/{case.number}/change/", drawn)
    assert answer.status_code == 409
    page = answer.content.decode()
    assert "Changed by joan at" in page
    assert "Priority: Standard → High" in page
    assert 'value="Typed Name"' in page
    form = answer.context["form"]
    assert (form["priority"].value(), form["version"].value()) == ("high", "2")
    # sent again as shown: their change is made and the other one kept
    again = {k: form.data.getlist(k) for k in form.data}
    assert otp_client(operator).post(f"/cases/{case.number}/change/", again).status_code == 302
    case.refresh_from_db()
    victim = CasePerson.objects.get(case=case, role="victim").person
    assert (case.priority, victim.name, case.version) == ("high", "Typed Name", 3)


def test_the_timeline_says_what_changed_in_words(case, operator):
    friend = Relationship.objects.get(code="friend")
    _change(case, operator, flags=["weapon"], categories=[category("stalking")],
            reporter={"name": "A Friend", "relationship": friend})  # fmt: skip
    case.refresh_from_db()
    _change(case, operator, flags=[], reporter=None, reason="Was wrong")
    entries = readable(case_history(operator, case))
    said = [(entry.what, entry.reason) for entry in entries]
    assert ("Flag set: Weapon mentioned", "Changed: Victim rang back") in said
    assert ("Further category added: Stalking or harassment", "Changed: Victim rang back") in said
    assert ("Reporter added to the case", "Changed: Victim rang back") in said
    assert ("Flag cleared: Weapon mentioned", "Changed: Was wrong") in said
    assert ("Reporter taken off the case", "Changed: Was wrong") in said
    # the version counted each change; it is no entry of its own
    assert not any(change.startswith("Version") for e in entries for change in e.changes)


def test_the_page_changes_a_perpetrator_and_adds_one(case, operator, otp_client, monkeypatch):
    monkeypatch.setattr("cases.people_changes.alert_known_perpetrators", lambda **kwargs: {})
    partner = Relationship.objects.get(code="partner")
    link = CasePersonFactory(case=case, role="perpetrator", relationship=partner,
                             person=PersonFactory(name="Known Perp", age=30))  # fmt: skip
    page = otp_client(operator).get(f"/cases/{case.number}/change/").content.decode()
    assert "Perpetrator 1" in page
    assert "Add a perpetrator" in page
    data = _page_data(case, operator, **{f"p{link.pk}_age": 31}, new_name="Second Perp",
                      reason="Told more")  # fmt: skip
    answer = otp_client(operator).post(f"/cases/{case.number}/change/", data)
    assert answer.status_code == 400  # a new perpetrator needs the relationship
    assert "Say how the perpetrator is related to the victim." in answer.content.decode()
    data["new_relationship"] = ["partner"]
    answer = otp_client(operator).post(f"/cases/{case.number}/change/", data)
    assert answer.status_code == 302
    people = CasePerson.objects.filter(case=case, role="perpetrator").select_related("person")
    assert sorted((p.person.name, p.person.age) for p in people) == [
        ("Known Perp", 31), ("Second Perp", None)
    ]  # fmt: skip
