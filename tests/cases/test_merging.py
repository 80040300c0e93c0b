"""Merging a case into another, a supervisor's unmerge and moving one report (cases.merging): what
moves, what stays, the history with the reason on both cases, and who may do it. The concurrent
opposite merges run on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections

from cases.merging import merge_case, move_report, unmerge_case
from cases.models import Case, CaseFlag, CaseMerge, CaseNote, CasePerson, Flag, Report
from cases.workflow import CaseError, ConflictError, NotAllowedError
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    PersonFactory,
    ReferralFactory,
    ReportFactory,
    StaffFactory,
)

S = Case.Status
VICTIM, PERPETRATOR = CasePerson.Role.VICTIM, CasePerson.Role.PERPETRATOR


def two_cases(helpline, *, a_status=S.VERIFIED, b_status=S.VERIFIED):
    victim = PersonFactory(name="Testperson Victim")
    a = CaseFactory(helpline=helpline, status=a_status)
    b = CaseFactory(helpline=helpline, status=b_status)
    for case in (a, b):
        CasePersonFactory(case=case, person=victim, role=VICTIM)
    ReportFactory.create_batch(2, case=a)
    ReportFactory(case=b)
    CasePersonFactory(case=a, role=PERPETRATOR)
    CasePersonFactory(case=a, role=CasePerson.Role.REPORTER)
    return a, b


def counts(*cases: Case) -> dict[str, int]:
    return {
        "reports": Report.objects.filter(case__in=cases).count(),
        "people": CasePerson.objects.filter(case__in=cases).count(),
    }


@pytest.mark.django_db
def test_merge_moves_reports_and_people_and_unmerge_puts_exactly_them_back(
    helpline, operator, supervisor
) -> None:
    a, b = two_cases(helpline)
    flag = Flag.objects.filter(is_active=True).first()
    CaseFlag.objects.create(case=a, flag=flag)
    CaseNote.objects.create(case=a, organisation=helpline, author=operator, text="Made-up note")
    before = counts(a, b)
    a_reports = set(a.reports.values_list("pk", flat=True))
    a_links = set(a.people.values_list("pk", flat=True))
    shared_victim_link = a.people.get(role=VICTIM).pk

    merged = merge_case(case=a, into=b, actor=operator, reason="Same caller, same incident")

    merged.refresh_from_db()
    b.refresh_from_db()
    assert merged.status == S.MERGED
    assert merged.merged_into == b
    assert merged.version == 2
    assert b.version == 2
    assert set(b.reports.values_list("pk", flat=True)) >= a_reports
    assert not a.reports.exists()
    # the victim was already on b: that link stays behind, the other two move
    assert list(a.people.values_list("pk", flat=True)) == [shared_victim_link]
    assert b.people.count() == 3
    assert b.flag_links.filter(flag=flag).exists()
    assert a.notes.count() == 1  # notes stay where they were written
    assert counts(a, b) == before
    record = CaseMerge.objects.get(case=a)
    assert set(record.report_ids) == a_reports
    assert set(record.case_person_ids) == a_links - {shared_victim_link}
    assert record.previous_status == S.VERIFIED
    reasons = list(a.history.values_list("history_change_reason", flat=True))
    assert "Merged into " + b.number + ": Same caller, same incident" in reasons
    assert b.history.latest().history_change_reason == (
        f"Merged in from {a.number}: Same caller, same incident"
    )
    moved = Report.objects.get(pk=min(a_reports))
    assert moved.history.latest().history_change_reason.startswith("Merged in from")

    unmerge_case(case=a, actor=supervisor, reason="They were two different people")

    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == S.VERIFIED
    assert a.merged_into is None
    assert set(a.reports.values_list("pk", flat=True)) == a_reports
    assert set(a.people.values_list("pk", flat=True)) == a_links
    assert b.reports.count() == 1
    assert counts(a, b) == before
    record.refresh_from_db()
    assert record.unmerged_by == supervisor
    assert record.unmerge_reason == "They were two different people"
    assert a.history.latest().history_change_reason == (
        f"Unmerged from {b.number}: They were two different people"
    )
    assert b.history.latest().history_change_reason.startswith(f"Unmerged {a.number}")


@pytest.mark.django_db
def test_merge_refusals(helpline, other_helpline, operator, cso_rep, monitor) -> None:
    a, b = two_cases(helpline)
    with pytest.raises(CaseError, match="Say why"):
        merge_case(case=a, into=b, actor=operator, reason="  ")
    with pytest.raises(ConflictError, match="itself"):
        merge_case(case=a, into=a, actor=operator, reason="x")
    elsewhere = CaseFactory(helpline=other_helpline, status=S.VERIFIED)
    with pytest.raises(CaseError) as invisible:
        merge_case(case=a, into=elsewhere, actor=operator, reason="x")
    assert invisible.value.http_status == 404
    for status in (S.ARCHIVED, S.DISCARDED, S.MERGED):
        closed = CaseFactory(helpline=helpline, status=status)
        with pytest.raises(ConflictError):
            merge_case(case=a, into=closed, actor=operator, reason="x")
    with pytest.raises(NotAllowedError):
        merge_case(case=a, into=b, actor=monitor, reason="x")
    ReferralFactory(case=a, organisation=cso_rep.organisation)
    ReferralFactory(case=b, organisation=cso_rep.organisation)
    with pytest.raises(NotAllowedError):
        merge_case(case=a, into=b, actor=cso_rep, reason="x")
    merge_case(case=a, into=b, actor=operator, reason="Same caller")
    with pytest.raises(ConflictError):
        merge_case(case=a, into=b, actor=operator, reason="again")
    assert CaseMerge.objects.count() == 1


@pytest.mark.django_db
def test_a_case_held_by_another_operator_is_theirs_to_merge(helpline, operator) -> None:
    holder = StaffFactory(organisation=helpline)
    a, b = two_cases(helpline, a_status=S.IN_TRIAGE)
    Case.objects.filter(pk=a.pk).update(claimed_by=holder)
    a.refresh_from_db()
    with pytest.raises(NotAllowedError):
        merge_case(case=a, into=b, actor=operator, reason="x")


@pytest.mark.django_db
def test_only_a_supervisor_unmerges(helpline, operator, supervisor) -> None:
    a, b = two_cases(helpline)
    with pytest.raises(ConflictError, match="not merged"):
        unmerge_case(case=a, actor=supervisor, reason="x")
    merge_case(case=a, into=b, actor=operator, reason="Same caller")
    a.refresh_from_db()
    with pytest.raises(NotAllowedError):
        unmerge_case(case=a, actor=operator, reason="x")
    with pytest.raises(CaseError, match="Say why"):
        unmerge_case(case=a, actor=supervisor, reason="")
    Case.objects.filter(pk=b.pk).update(status=S.ARCHIVED)
    with pytest.raises(ConflictError, match="archived"):
        unmerge_case(case=a, actor=supervisor, reason="x")


@pytest.mark.django_db
def test_a_closed_case_merges_and_comes_back_closed(helpline, operator, supervisor) -> None:
    a, b = two_cases(helpline, a_status=S.CLOSED)
    merge_case(case=a, into=b, actor=operator, reason="Same incident reported twice")
    a.refresh_from_db()
    unmerge_case(case=a, actor=supervisor, reason="Not the same")
    a.refresh_from_db()
    assert a.status == S.CLOSED


@pytest.mark.django_db
def test_move_report(helpline, other_helpline, operator) -> None:
    a, b = two_cases(helpline)
    report = a.reports.first()
    moved = move_report(report=report, to_case=b, actor=operator, reason="About someone else")
    assert moved.case_id == b.pk
    assert moved.history.latest().history_change_reason == (
        f"Moved from {a.number} to {b.number}: About someone else"
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.version, b.version) == (2, 2)
    assert a.history.latest().history_change_reason.startswith(f"Report moved to {b.number}")
    last = a.reports.get()
    with pytest.raises(ConflictError, match="only report"):
        move_report(report=last, to_case=b, actor=operator, reason="x")
    with pytest.raises(ConflictError, match="already"):
        move_report(report=moved, to_case=b, actor=operator, reason="x")
    elsewhere = CaseFactory(helpline=other_helpline, status=S.VERIFIED)
    with pytest.raises(CaseError) as invisible:
        move_report(report=moved, to_case=elsewhere, actor=operator, reason="x")
    assert invisible.value.http_status == 404
    assert counts(a, b)["reports"] == 3


@pytest.mark.django_db(transaction=True)
def test_opposite_merges_at_once_one_wins_no_deadlock(
    require_postgresql, helpline, operator
) -> None:
    a, b = two_cases(helpline)
    before = counts(a, b)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def merge(source: Case, target: Case, name: str) -> None:
        try:
            start.wait()
            merge_case(case=source, into=target, actor=operator, reason=f"Race {name}")
            outcomes[name] = "merged"
        except ConflictError as exc:
            outcomes[name] = f"refused {exc.http_status}"
        finally:
            close_old_connections()

    threads = [
        threading.Thread(target=merge, args=(a, b, "a")),
        threading.Thread(target=merge, args=(b, a, "b")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["merged", "refused 409"]
    assert CaseMerge.objects.count() == 1
    statuses = sorted(Case.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True))
    assert statuses == [S.MERGED, S.VERIFIED]
    assert counts(a, b) == before
    survivor = Case.objects.get(status=S.VERIFIED, pk__in=[a.pk, b.pk])
    assert survivor.reports.count() == before["reports"]


# The pages ---------------------------------------------------------------------------------------


@pytest.fixture
def same_victim(helpline) -> tuple[Case, Case]:
    cases = []
    for _ in range(2):
        case = CaseFactory(helpline=helpline, status=S.VERIFIED)
        person = PersonFactory(name="Testperson Samename", age=40, phone="")
        CasePersonFactory(case=case, person=person, role=VICTIM)
        ReportFactory(case=case, sender="")
        cases.append(case)
    return cases[0], cases[1]


@pytest.mark.django_db
def test_case_and_verify_pages_load_the_panel(same_victim, operator, monitor, otp_client) -> None:
    a, b = same_victim
    client = otp_client(operator)
    page = client.get(f"/cases/{a.number}/").content.decode()
    assert f'hx-get="/cases/{a.number}/duplicates/"' in page
    panel = client.get(f"/cases/{a.number}/duplicates/", HTTP_HX_REQUEST="true").content.decode()
    assert b.number in panel
    assert "Victim&#x27;s name is the same, age 40" in panel
    assert f"/cases/{a.number}/merge/?into={b.number}" in panel
    assert "<html" not in panel
    assert "<html" in client.get(f"/cases/{a.number}/duplicates/").content.decode()
    Case.objects.filter(pk=a.pk).update(status=S.IN_TRIAGE, claimed_by=operator)
    verify = client.get(f"/console/{a.number}/verify/").content.decode()
    assert f'hx-get="/cases/{a.number}/duplicates/"' in verify
    watcher = otp_client(monitor)
    assert "duplicates" not in watcher.get(f"/cases/{a.number}/").content.decode()
    assert watcher.get(f"/cases/{a.number}/duplicates/").status_code == 404


@pytest.mark.django_db
def test_merge_page_shows_what_moves_and_needs_a_reason(same_victim, operator, otp_client):
    a, b = same_victim
    client = otp_client(operator)
    page = client.get(f"/cases/{a.number}/merge/", {"into": b.number}).content.decode()
    assert "1 report moves" in page
    assert "1 victim moves" in page
    assert "Notes, referrals, services and messages stay" in page
    assert f'<input type="hidden" name="into" value="{b.number}">' in page
    first = client.get(f"/cases/{a.number}/merge/").content.decode()
    assert 'method="get"' in first
    assert "See what the merge would move" in first
    unknown = client.get(f"/cases/{a.number}/merge/", {"into": "LNT-1999-000001"})
    assert "No case with that number that you can see" in unknown.content.decode()
    assert client.post(f"/cases/{a.number}/merge/").status_code == 400
    refused = client.post(f"/cases/{a.number}/merge/", {"into": b.number, "reason": ""})
    assert refused.status_code == 400
    unseen = client.post(f"/cases/{a.number}/merge/", {"into": "LNT-1999-000001", "reason": "x"})
    assert unseen.status_code == 400
    assert "No case with that number" in unseen.content.decode()
    itself = client.post(f"/cases/{a.number}/merge/", {"into": a.number, "reason": "x"})
    assert itself.status_code == 409
    assert CaseMerge.objects.count() == 0
    done = client.post(f"/cases/{a.number}/merge/", {"into": b.number, "reason": "Same woman"})
    assert done.status_code == 302
    assert done["Location"] == f"/cases/{b.number}/"
    assert Case.objects.get(pk=a.pk).status == S.MERGED


@pytest.mark.django_db
def test_unmerge_page_is_for_supervisors(same_victim, operator, supervisor, otp_client) -> None:
    a, b = same_victim
    merge_case(case=a, into=b, actor=operator, reason="Same woman")
    panel = otp_client(supervisor).get(f"/cases/{a.number}/duplicates/", HTTP_HX_REQUEST="true")
    assert f"/cases/{a.number}/unmerge/" in panel.content.decode()
    assert (
        f"/cases/{a.number}/unmerge/"
        not in otp_client(operator)
        .get(f"/cases/{a.number}/duplicates/", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    forbidden = otp_client(operator).post(f"/cases/{a.number}/unmerge/", {"reason": "x"})
    assert forbidden.status_code == 403
    done = otp_client(supervisor).post(f"/cases/{a.number}/unmerge/", {"reason": "Two women"})
    assert done.status_code == 302
    assert Case.objects.get(pk=a.pk).status == S.VERIFIED


@pytest.mark.django_db
def test_move_report_page(same_victim, operator, otp_client) -> None:
    a, b = same_victim
    ReportFactory(case=a, sender="")
    report = a.reports.first()
    client = otp_client(operator)
    assert (
        f"/cases/{a.number}/reports/{report.pk}/move/"
        in client.get(f"/cases/{a.number}/").content.decode()
    )
    url = f"/cases/{a.number}/reports/{report.pk}/move/"
    assert client.post(url, {"to": b.number, "reason": ""}).status_code == 400
    assert client.post(url, {"to": b.number, "reason": "About another woman"}).status_code == 302
    assert Report.objects.get(pk=report.pk).case_id == b.pk


@pytest.mark.django_db
def test_both_consoles_hear_of_a_merge_after_commit(
    helpline, operator, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    a, b = two_cases(helpline)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        merge_case(case=a, into=b, actor=operator, reason="Same caller")
    assert captured_broadcasts == []  # nothing before the commit
    for callback in pending:
        callback()
    told = {event["case"]["number"] for _, event in captured_broadcasts if "case" in event}
    assert told == {a.number, b.number}
