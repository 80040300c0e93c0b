"""A member of the public reports through the web form, and the helpline sees it: with and without
JavaScript, on a small phone, with the quick exit first on the page and Shift x3 leaving at once.
The neutral site is intercepted, so no journey touches the network."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Browser, Page, Route, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import Organisation, User
from cases.models import Case
from tests.e2e.canaries import ABUSER, PLACE, VICTIM_EMAIL, VICTIM_NAME, VICTIM_PHONE_TYPED
from tests.e2e.helpers import csp_violations
from tests.factories import OrganisationFactory, StaffFactory

NEUTRAL_SITE = "https://www.bbc.co.uk/weather"
REFERENCE = re.compile(r"LNT-\d{4}-\d{6,}")
REPORT_TEXT = f"Made-up journey report: {ABUSER} took my phone and would not let me leave."
WHERE = f"At the bus stop by the {PLACE}"


def _neutral_site(route: Route) -> None:
    route.fulfill(
        status=200,
        content_type="text/html",
        body="<!doctype html><title>Weather</title><h1>Weather</h1>",
    )


def _helpline() -> Organisation:
    return OrganisationFactory(slug="north-helpline", name="North Helpline", kind="helpline")


def _fill_the_report(page: Page) -> None:
    page.get_by_label("What happened?").fill(REPORT_TEXT)
    page.get_by_label("What kind of harm was it? (optional)").select_option(
        label="Coercive control"
    )
    page.get_by_label("No, I am not safe right now").check()
    page.get_by_label("Yes, you can contact me").check()
    page.get_by_label("Phone call").check()
    page.get_by_label("Do not leave a voicemail").check()
    page.get_by_label("Anything else about when it is safe? (optional)").fill(
        f"Weekdays before 3pm, when {ABUSER} is at work"
    )
    page.get_by_label("Where did it happen? (optional)").fill(WHERE)
    page.get_by_label("Your name (optional)").fill(VICTIM_NAME)
    page.get_by_label("Phone number (optional)").fill(VICTIM_PHONE_TYPED)
    page.get_by_label("Email address (optional)").fill(VICTIM_EMAIL)


def test_a_report_from_the_public_reaches_the_helplines_queue(
    page: Page, log_in: Callable[[User], None], console_errors: list[str]
) -> None:
    helpline = _helpline()
    operator = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)

    page.goto("/report/")
    expect(page).to_have_title("Get help")
    page.keyboard.press("Tab")  # the very first stop is the way out
    expect(page.locator(":focus")).to_have_text(re.compile("Leave this site"))
    expect(page.locator(":focus")).to_have_attribute("href", NEUTRAL_SITE)

    _fill_the_report(page)
    page.get_by_role("button", name="Send").click()

    expect(page).to_have_url(re.compile(r"/report/thanks/$"))
    expect(page.get_by_role("heading", name="Your message has been sent")).to_be_visible()
    reference = page.locator(".public-reference").inner_text()
    assert REFERENCE.fullmatch(reference)
    assert reference not in page.url
    case = Case.objects.get(number=reference)
    assert case.priority == Case.Priority.HIGH

    log_in(operator)
    page.goto("/cases/")
    # found by the number the victim typed (searched by POST: never in a URL or a log line)
    page.get_by_label("Case number, name or phone").fill(VICTIM_PHONE_TYPED)
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name=reference).click()
    expect(page.locator("#reports").get_by_text(REPORT_TEXT)).to_be_visible()
    assert csp_violations(console_errors) == []


def test_an_invalid_report_says_what_to_fix_and_keeps_the_answers(
    page: Page, console_errors: list[str]
) -> None:
    _helpline()
    page.goto("/report/")
    page.get_by_label("Where did it happen? (optional)").fill(WHERE)
    page.get_by_role("button", name="Send").click()

    expect(page).to_have_title("Error: Get help")
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Tell us what happened")
    summary.get_by_role("link", name="Tell us what happened").click()
    expect(page.get_by_label("What happened?")).to_be_focused()
    expect(page.get_by_label("Where did it happen? (optional)")).to_have_value(WHERE)
    assert not Case.objects.exists()
    assert console_errors == []


def test_shift_three_times_leaves_and_back_does_not_return(
    page: Page, console_errors: list[str]
) -> None:
    page.route("https://www.bbc.co.uk/**", _neutral_site)
    page.goto("/report/")
    expect(page.locator("[data-govuk-exit-this-page-init]")).to_have_count(1)
    page.get_by_label("What happened?").fill(f"Something about {ABUSER} I do not want seen")

    for _ in range(3):
        page.keyboard.press("Shift")

    expect(page).to_have_url(NEUTRAL_SITE)
    page.go_back()
    assert "/report/" not in page.url  # replaced in the history, not just left behind
    assert csp_violations(console_errors) == []


FITS_ACROSS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_on_a_320px_phone_nothing_scrolls_sideways_and_the_way_out_stays(page: Page) -> None:
    page.route("https://www.bbc.co.uk/**", _neutral_site)
    page.set_viewport_size({"width": 320, "height": 640})
    for url in ("/report/", "/report/thanks/"):
        page.goto(url)
        assert page.evaluate(FITS_ACROSS), url
    page.goto("/report/safety/")
    assert page.evaluate(FITS_ACROSS)
    button = page.get_by_role("button", name=re.compile("Leave this site"))
    page.get_by_role("link", name="Tell us what happened").last.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport()  # sticky: reachable from anywhere on the page

    button.focus()
    page.keyboard.press("Space")  # announced as a button, so it presses like one
    expect(page).to_have_url(NEUTRAL_SITE)


def test_without_javascript_on_a_small_phone_the_form_still_works(
    browser: Browser, live_server: LiveServer
) -> None:
    _helpline()
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": 320, "height": 640},
    )
    context.route("https://www.bbc.co.uk/**", _neutral_site)
    page = context.new_page()
    try:
        page.goto("/report/")
        expect(page.locator("body")).not_to_have_class(re.compile("govuk-frontend-supported"))

        page.get_by_role("button", name="Send").click()  # empty: errors, focus without JS
        expect(page.get_by_role("alert")).to_be_focused()

        _fill_the_report(page)
        page.get_by_role("button", name="Send").click()
        expect(page).to_have_url(re.compile(r"/report/thanks/$"))
        reference = page.locator(".public-reference").inner_text()
        assert Case.objects.get().number == reference

        page.get_by_role("button", name=re.compile("Leave this site")).click()
        expect(page).to_have_url(NEUTRAL_SITE)  # a plain link when scripts cannot run
    finally:
        context.close()
