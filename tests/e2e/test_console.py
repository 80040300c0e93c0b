"""The operator console in a browser. Two operators have the queue open; an SMS arrives and its row
appears on both without a reload; one claims it and the other sees it taken; she verifies it through
the form and it leaves the other's queue. Then the keyboard: the cheat sheet, the per-user switch
for single-key shortcuts, `/`, `n` and `c`.

The live journey needs WebSockets, so it runs against conftest's `daphne`, pointed at this test's
database. The webhook goes to that daphne too, so on the embedded configuration (in-memory channel
layer) the event is raised in the process that holds the sockets."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from cases.models import Case, CasePerson
from tests.e2e.canaries import ABUSER, SMS_SENDER, VICTIM_NAME
from tests.e2e.helpers import csp_violations, signed_in_tab
from tests.factories import CaseFactory, OrganisationFactory, StaffFactory
from tests.launchers import LaunchedDaphne
from tests.servers import send, signed_request
from tests.twilio import AUTH_TOKEN, sms_params

SMS = "/intake/twilio/sms/"
HELPLINE_NUMBER = "+447700900000"
SMS_TEXT = f"Made-up journey text: {ABUSER} is outside, please help."
HALF_TYPED = f"half-typed {VICTIM_NAME.split()[1]}, must survive the refreshes"
TOAST_TEXT = f"Made-up words, never in a toast: {ABUSER} again."


@pytest.fixture
def open_console(browser: Browser) -> Iterator[Callable[[str, User], tuple[Page, list[str]]]]:
    """A signed-in tab on the console of `base_url`, each in its own browser context."""
    contexts: list[BrowserContext] = []

    def open_for(base_url: str, user: User) -> tuple[Page, list[str]]:
        context = browser.new_context(base_url=base_url)
        contexts.append(context)
        tab, errors = signed_in_tab(context, user)
        tab.goto("/console/")
        return tab, errors

    yield open_for
    for context in contexts:
        context.close()


def test_a_new_sms_appears_live_is_claimed_and_verified(
    daphne: LaunchedDaphne, open_console
) -> None:
    helpline = OrganisationFactory(
        slug="north-helpline", name="North Helpline", phone_number=HELPLINE_NUMBER
    )
    amina = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)
    bola = StaffFactory(username="bola", organisation=helpline, role=User.Role.OPERATOR)

    a, a_errors = open_console(daphne.base_url, amina)
    b, b_errors = open_console(daphne.base_url, bola)
    for tab in (a, b):
        expect(tab.locator("#live-status")).to_have_text(re.compile(r"^\s*Live\s*$"))
        expect(tab).to_have_title("(0) Queue · Lantern")
        expect(tab.locator("#queue-rows")).to_contain_text("Nothing waiting")

    # An SMS arrives (signed as Twilio signs it, against daphne's own public URL).
    params = sms_params("SM" + "e2e".rjust(32, "0"), sender=SMS_SENDER, body=SMS_TEXT)
    params["To"] = HELPLINE_NUMBER
    assert send(signed_request(daphne.base_url, SMS, params, AUTH_TOKEN)) == 200
    case = Case.objects.get()

    # Both consoles show it without a reload, say so in words, and count it in the title.
    row_a, row_b = a.locator(f"#case-{case.number}"), b.locator(f"#case-{case.number}")
    for tab, row in ((a, row_a), (b, row_b)):
        expect(row).to_contain_text("SMS")
        expect(row).to_contain_text(re.compile(r"waiting \d\d:\d\d"))
        expect(row).to_contain_text("Standard")
        expect(tab.locator("#queue-announcer")).to_have_text(f"New SMS report {case.number}.")
        expect(tab).to_have_title("(1) Queue · Lantern")
    b.get_by_role("searchbox").fill(HALF_TYPED)

    # Amina claims it in one click; Bola's console shows it taken, still without a reload.
    a.get_by_role("button", name=f"Claim {case.number}").click()
    expect(row_a).to_contain_text("Claimed by you")
    expect(a.locator("#console-feedback")).to_have_text(f"You claimed {case.number}.")
    expect(row_b).to_contain_text("Claimed by amina")
    expect(b.get_by_role("button", name=f"Claim {case.number}")).to_have_count(0)
    expect(b).to_have_title("(0) Queue · Lantern")
    # htmx put focus back on the row's action, now "Verify or discard"
    expect(a.get_by_role("link", name=f"Verify or discard {case.number}")).to_be_focused()

    # She verifies it through the form.
    a.get_by_role("link", name=f"Verify or discard {case.number}").click()
    expect(a.get_by_role("heading", name=f"Verify or discard {case.number}")).to_be_visible()
    expect(a.get_by_text(SMS_TEXT)).to_be_visible()
    a.get_by_label("Category").select_option(label="Coercive control")
    a.get_by_label("High", exact=True).check()
    a.locator("#id_victim_name").fill(VICTIM_NAME)
    a.get_by_label("Do not contact them").check()
    a.locator("#id_perp-0-relationship").select_option(label="Former partner or spouse")
    a.get_by_role("button", name="Add another perpetrator").click()  # in place, by script
    expect(a.locator("#id_perp-1-relationship")).to_be_focused()
    a.locator("#id_perp-1-relationship").select_option(label="Family member")
    a.get_by_role("button", name="Verify as genuine").click()

    expect(a).to_have_url(re.compile(rf"/cases/{case.number}/$"))
    expect(a.get_by_role("heading", name=case.number)).to_contain_text("Verified")
    # ...and it leaves Bola's queue, still without a reload; what she typed is still there.
    expect(row_b).to_have_count(0)
    expect(b.locator("#queue-rows")).to_contain_text("Nothing waiting")
    expect(b.get_by_role("searchbox")).to_have_value(HALF_TYPED)
    expect(b.locator("#live-status")).to_have_text(re.compile(r"^\s*Live\s*$"))

    case.refresh_from_db()
    assert (case.status, case.priority, case.category.code) == (
        "verified",
        "high",
        "coercive-control",
    )
    victim = case.people.get(role=CasePerson.Role.VICTIM).person
    assert victim.name == VICTIM_NAME
    assert victim.contact_preferences["contact"] == "none"
    relationships = set(
        case.people.filter(role=CasePerson.Role.PERPETRATOR).values_list(
            "relationship__code", flat=True
        )
    )
    assert relationships == {"ex-partner", "family"}
    for errors in (a_errors, b_errors):
        assert csp_violations(errors) == []
        assert errors == [], errors


def test_the_queue_works_from_the_keyboard(daphne: LaunchedDaphne, open_console) -> None:
    helpline = OrganisationFactory(slug="north-helpline", name="North Helpline")
    amina = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)
    first = CaseFactory(helpline=helpline, priority="high")
    second = CaseFactory(helpline=helpline)

    tab, errors = open_console(daphne.base_url, amina)
    expect(tab.locator("#live-status")).to_have_text(re.compile(r"^\s*Live\s*$"))

    # "?" opens the cheat sheet; Esc closes it.
    tab.keyboard.press("Shift+?")
    dialog = tab.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    tab.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # "/" goes to the search box; typing there is typing, not shortcuts.
    tab.keyboard.press("/")
    search = tab.get_by_role("searchbox")
    expect(search).to_be_focused()
    tab.keyboard.type("n")
    expect(search).to_have_value("n")
    search.fill("")

    # Single-key shortcuts can be turned off (WCAG 2.1.4): then "n" does nothing.
    tab.get_by_role("button", name="Keyboard shortcuts").click()
    dialog.get_by_label("Use single-key shortcuts").uncheck()
    dialog.get_by_role("button", name="Close").click()
    tab.locator("body").press("n")
    tab.wait_for_timeout(500)
    first.refresh_from_db()
    assert first.status == Case.Status.NEW
    # ...and the choice is remembered in this browser after a reload.
    tab.reload()
    expect(tab.get_by_role("button", name="Keyboard shortcuts")).to_be_visible()  # scripts ran
    tab.locator("body").press("n")
    tab.wait_for_timeout(500)
    first.refresh_from_db()
    assert first.status == Case.Status.NEW
    tab.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog.get_by_label("Use single-key shortcuts")).not_to_be_checked()
    dialog.get_by_label("Use single-key shortcuts").check()
    dialog.get_by_role("button", name="Close").click()

    # "c" claims the case in the row that has focus.
    tab.get_by_role("link", name=second.number).focus()
    tab.keyboard.press("c")
    expect(tab.locator(f"#case-{second.number}")).to_contain_text("Claimed by you")

    # "n" takes the most urgent, oldest case and opens it for verifying.
    tab.locator("body").press("n")
    expect(tab).to_have_url(re.compile(rf"/console/{first.number}/verify/$"))
    expect(tab.get_by_role("button", name="Keyboard shortcuts")).to_be_visible()  # scripts ran
    first.refresh_from_db()
    assert (first.status, first.claimed_by) == (Case.Status.IN_TRIAGE, amina)

    # "g q" goes back to the queue.
    tab.locator("body").press("g")
    tab.locator("body").press("q")
    expect(tab).to_have_url(re.compile(r"/console/$"))
    assert csp_violations(errors) == []
    assert errors == [], errors


def test_alerts_are_off_until_chosen_and_say_nothing_about_the_report(
    daphne: LaunchedDaphne, open_console
) -> None:
    helpline = OrganisationFactory(slug="north-helpline", name="North Helpline")
    amina = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)
    tab, errors = open_console(daphne.base_url, amina)
    expect(tab.locator("#live-status")).to_have_text(re.compile(r"^\s*Live\s*$"))
    # What a notification would show, recorded instead of shown.
    tab.evaluate(
        """() => {
          window.shown = []
          window.Notification = class { constructor (title) { window.shown.push(title) } }
          window.Notification.permission = 'granted'
          Object.defineProperty(document, 'hidden', { get: () => true })
        }"""
    )
    toggle = tab.locator("#alerts-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    params = {"MessageSid": "SM" + "7" * 32, "From": "+447700900777", "To": "+447700900000",
              "Body": "Made-up urgent words"}  # fmt: skip
    assert send(signed_request(daphne.base_url, SMS, params, AUTH_TOKEN)) == 200

    # Polled from here: wait_for_function compiles its predicate inside the page, which the strict
    # CSP (no eval) refuses whenever the first check comes too early.
    for _ in range(100):
        if tab.evaluate("window.shown.length"):
            break
        tab.wait_for_timeout(100)
    assert tab.evaluate("window.shown") == ["New report"]
    assert csp_violations(errors) == []


def test_a_new_report_pops_a_toast_on_any_page_of_an_operator_on_duty(
    daphne: LaunchedDaphne, open_console
) -> None:
    helpline = OrganisationFactory(
        slug="north-helpline", name="North Helpline", phone_number=HELPLINE_NUMBER
    )
    amina = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)
    User.objects.filter(pk=amina.pk).update(on_duty=True)
    tab, errors = open_console(daphne.base_url, amina)
    tab.goto("/cases/")  # not the console: alerts reach every staff page
    expect(tab.get_by_role("link", name="Alerts (0)")).to_be_visible()
    expect(tab.locator("#alert-toasts")).to_have_attribute("data-socket", "open")

    params = sms_params("SM" + "toast".rjust(32, "0"), body=TOAST_TEXT)
    params["To"] = HELPLINE_NUMBER
    assert send(signed_request(daphne.base_url, SMS, params, AUTH_TOKEN)) == 200
    case = Case.objects.get()

    # The toast says what came in by case number only, and the badge counts it.
    toast = tab.locator("#alert-toasts .alert-toast")
    expect(toast).to_contain_text(f"New SMS report {case.number}")
    expect(toast).not_to_contain_text(ABUSER)
    expect(tab.get_by_role("link", name="Alerts (1)")).to_be_visible()
    expect(toast.get_by_role("link", name=f"Open case {case.number}")).to_be_visible()
    toast.get_by_role("button", name="Dismiss").click()
    expect(toast).to_have_count(0)
    assert csp_violations(errors) == []
    assert errors == [], errors
