"""In the browser, under the strict CSP: a masked phone shown on request and masked again by the
next page; the verify form's draft saved as it is typed and put back after a reload; the idle
warning, "Stay signed in", and the page signing itself out at the end."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from accounts.models import User
from cases.models import AccessLog, Case, Draft
from tests.e2e.canaries import VICTIM_NAME, VICTIM_PHONE
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory
from triage.services import claim_case


def test_a_masked_phone_is_shown_on_request_and_masked_again(
    page: Page, log_in: Callable[[User], None], operator: User
) -> None:
    case = CaseFactory(helpline=operator.organisation, status=Case.Status.IN_SERVICE)
    person = PersonFactory(name=VICTIM_NAME, phone=VICTIM_PHONE, date_of_birth="1985-03-14")
    CasePersonFactory(case=case, person=person)
    log_in(operator)

    page.goto(f"/cases/{case.number}/")
    people = page.locator("#people")
    expect(people).to_contain_text("07••• •••458")
    assert VICTIM_PHONE not in page.content()
    people.get_by_role("button", name=re.compile("^Show phone")).click()
    expect(people).to_contain_text(VICTIM_PHONE)
    expect(people.locator(".masked-value--shown")).to_be_focused()
    assert AccessLog.objects.get(action="reveal").detail == f"person {person.pk} phone"

    page.reload()
    expect(people).to_contain_text("07••• •••458")
    assert VICTIM_PHONE not in page.content()


def test_the_verify_form_keeps_a_draft_on_the_server(
    page: Page, log_in: Callable[[User], None], operator: User
) -> None:
    case = claim_case(case=CaseFactory(helpline=operator.organisation), actor=operator)
    log_in(operator)

    page.goto(f"/console/{case.number}/verify/")
    page.fill("[name='victim_name']", VICTIM_NAME)
    status = page.locator("[data-draft-status]")
    expect(status).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))
    assert (
        Draft.objects.get(user=operator, form="verify", case=case).data["victim_name"]
        == VICTIM_NAME
    )

    page.reload()
    expect(page.locator("[name='victim_name']")).to_have_value(VICTIM_NAME)
    expect(status).to_contain_text("Your unsent work from")
    status.get_by_role("button", name="Start again instead").click()
    expect(page.locator("[name='victim_name']")).to_have_value("")
    expect(status).to_have_text("Draft discarded.")
    assert not Draft.objects.exists()


def test_the_idle_warning_keeps_the_session_or_signs_out(
    page: Page, log_in: Callable[[User], None], operator: User, settings
) -> None:
    settings.SESSION_IDLE_SECONDS = 65  # the warning a few seconds after the page opens
    log_in(operator)
    page.clock.install()
    page.goto("/cases/")

    page.clock.fast_forward("00:10")
    dialog = page.get_by_role("alertdialog", name="You will be signed out soon")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Stay signed in")).to_be_focused()
    with page.expect_response("**/accounts/keepalive/") as kept:
        page.keyboard.press("Escape")  # someone is there: Esc stays signed in too
    assert kept.value.status == 200
    expect(dialog).to_be_hidden()

    page.clock.fast_forward("01:10")  # nobody comes back
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/cases/"))
