"""The case record in a browser (issue 12): a woman walks in; Amina opens her case by hand and
claims it, completes the risk assessment (high: the MARAC box), sees that the woman is likely the
victim on an earlier case, and merges the new case into it. Bola has the console open the whole
time and sees each step without a reload: the walk-in case appears claimed, then says "High risk",
then leaves the queue once merged.

WebSockets are needed, so it runs against conftest's `daphne` (see test_console.py)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from accounts.models import User
from cases.models import AccessLog, Case, CaseMerge, CasePerson
from tests.e2e.canaries import ABUSER, PLACE, VICTIM_NAME, VICTIM_PHONE, VICTIM_PHONE_TYPED
from tests.e2e.helpers import csp_violations
from tests.e2e.test_console import open_console  # noqa: F401 (a fixture)
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    PersonFactory,
    StaffFactory,
)
from tests.launchers import LaunchedDaphne

WHAT_HAPPENED = f"Made-up walk-in: {ABUSER} threatened her at {PLACE} last night."
MERGE_REASON = f"The same woman and the same night at {PLACE} as the earlier case."


def test_a_walk_in_is_opened_assessed_and_merged_and_a_colleague_sees_it_live(
    daphne: LaunchedDaphne,
    open_console,  # noqa: F811 (the fixture imported above)
) -> None:
    helpline = OrganisationFactory(slug="north-helpline", name="North Helpline")
    amina = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)
    bola = StaffFactory(username="bola", organisation=helpline, role=User.Role.OPERATOR)
    earlier = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED)
    CasePersonFactory(
        case=earlier,
        person=PersonFactory(name=VICTIM_NAME, phone=VICTIM_PHONE, age=34),
        role=CasePerson.Role.VICTIM,
    )

    a, a_errors = open_console(daphne.base_url, amina)
    b, b_errors = open_console(daphne.base_url, bola)
    expect(b.locator("#live-status")).to_have_text(re.compile(r"^\s*Live\s*$"))

    # Amina opens the walk-in case by hand and claims it at once.
    a.get_by_role("link", name="New case").click()
    expect(a.get_by_role("heading", name="Open a case")).to_be_visible()
    a.get_by_label("Walk-in").check()
    a.get_by_label("What happened").fill(WHAT_HAPPENED)
    a.locator("#id_victim_name").fill(VICTIM_NAME)
    a.locator("#id_victim_phone").fill(VICTIM_PHONE_TYPED)
    a.get_by_role("button", name=re.compile("Open the case")).click()
    expect(a).to_have_url(re.compile(r"/cases/LNT-\d{4}-\d+/$"))
    walk_in = Case.objects.exclude(pk=earlier.pk).get()
    assert (walk_in.channel, walk_in.status, walk_in.claimed_by) == ("walk_in", "in_triage", amina)

    # Bola's queue shows it, claimed by Amina, without a reload.
    row_b = b.locator(f"#case-{walk_in.number}")
    expect(row_b).to_contain_text("Walk-in")
    expect(row_b).to_contain_text("Claimed by amina")

    # Amina completes the risk assessment: fifteen yes answers is high risk.
    a.get_by_role("link", name=re.compile("Assess risk")).click()
    expect(a.get_by_role("button", name="Save the assessment")).to_be_visible()
    questions = a.locator(".risk-section input[type=radio][value=yes]").count()
    assert questions == 27
    for n in range(questions):  # each question has one radio of each answer, in order
        answer = "yes" if n < 15 else "no"
        a.locator(f".risk-section input[type=radio][value={answer}]").nth(n).check()
    a.get_by_role("button", name="Save the assessment").click()
    expect(a).to_have_url(re.compile(rf"/cases/{walk_in.number}/#risk$"))
    expect(a.get_by_text("A referral to the MARAC")).to_be_visible()
    walk_in.refresh_from_db()
    assert (walk_in.risk_level, walk_in.risk_score, walk_in.priority) == ("high", 15, "high")
    # ...and Bola's row says so in words, still without a reload.
    expect(row_b).to_contain_text("High risk")

    # The case page suggests the earlier case, saying why; Amina merges the walk-in into it.
    suggestions = a.locator("#duplicates")
    expect(suggestions).to_contain_text(earlier.number)
    expect(suggestions).to_contain_text("Same phone number as the victim")
    suggestions.get_by_role("link", name=re.compile("Merge")).first.click()
    expect(
        a.get_by_role("heading", name=f"Merge {walk_in.number} into {earlier.number}")
    ).to_be_visible()
    a.get_by_label("Why").fill(MERGE_REASON)
    a.get_by_role("button", name=f"Merge {walk_in.number} into {earlier.number}").click()
    expect(a.get_by_text(f"Merged into {earlier.number}")).to_be_visible()

    walk_in.refresh_from_db()
    assert (walk_in.status, walk_in.merged_into) == ("merged", earlier)
    merge = CaseMerge.objects.get(case=walk_in)
    assert earlier.reports.filter(pk__in=merge.report_ids).count() == len(merge.report_ids) == 1
    # ...and it leaves Bola's queue, without a reload.
    expect(row_b).to_have_count(0)

    # The victim's phone was masked on the case page until shown, and showing it was audited.
    a.goto(f"/cases/{earlier.number}/")
    expect(a.locator("#people")).not_to_contain_text(VICTIM_PHONE_TYPED)
    a.locator("#people").get_by_role("button", name=re.compile("Show")).first.click()
    expect(a.locator("#people")).to_contain_text(re.compile(r"07700\s?900458|\+447700900458"))
    assert AccessLog.objects.filter(user=amina, action="reveal", case=earlier).exists()

    for errors in (a_errors, b_errors):
        assert csp_violations(errors) == []
        assert errors == [], errors
