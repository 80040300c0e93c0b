"""axe-core on every public and portal page, at a desktop width and on a 320 px phone (UX.md 51,
issue 14 point 7): WCAG 2.0/2.1 A and AA and 2.2 AA rules, zero violations allowed, and at 320 px
nothing may scroll sideways (WCAG 1.4.10 reflow).

axe-core is the npm package tests/e2e/axe pins (`npm ci --prefix tests/e2e/axe`; `make test` runs
it). It is injected into the page as served, CSP and all, so the browser's view is what is judged:
the strict CSP refuses an inline script, so the tab fetches axe from a same-origin path that
Playwright answers with the file (the server never serves it).

Each test visits every state of one group of pages (a form empty and with its errors, a thread
empty and full) and fails once, listing every violation with its rule, help text and elements, so
one run shows everything there is to fix."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import Organisation, User
from cases.models import Case, FollowUpKind, Report
from notifications.models import Notification
from portal.duress import set_duress_code
from portal.models import PortalAccess, PortalUpdate, UpdateType
from referrals.models import FollowUp
from tests.e2e.canaries import ABUSER, PLACE, VICTIM_EMAIL, VICTIM_NAME, VICTIM_PHONE
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    PersonFactory,
    ReferralFactory,
    StaffFactory,
)

AXE_JS = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (1280, 320)
HEIGHT = 800
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""
SCROLL_WIDTH = "document.documentElement.scrollWidth"
# Colours mid-transition (a button just focused fades over 0.15 s) are neither state's: axe's
# contrast check waits until the page stands still. Only finite transitions: none runs forever.
STILL = "() => document.getAnimations().every((a) => a.playState !== 'running')"
AXE_PATH = "/__axe-core__/axe.min.js"  # answered by the test's route, never by Lantern


def settle(page: Page) -> None:
    """Wait until no transition or animation runs on the page (see STILL)."""
    page.wait_for_function(STILL)


@pytest.fixture(scope="session")
def axe_js() -> Path:
    """The axe-core script; missing is a failure with the fix, never a skip (CI must run it)."""
    if not AXE_JS.exists():
        pytest.fail(
            f"{AXE_JS} is missing: install axe-core with `npm ci --prefix tests/e2e/axe` "
            "(`make test` does it)",
            pytrace=False,
        )
    return AXE_JS


class Audit:
    """What axe and the reflow check found on the pages one test visited, page by page."""

    def __init__(self, page: Page, width: int) -> None:
        self.page = page
        self.width = width
        self.problems: list[str] = []
        self.pages: list[str] = []

    def __call__(self, name: str) -> None:
        """Judge the page the tab shows now, under `name` in the report."""
        self.page.wait_for_load_state("load")
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(url=AXE_PATH)
        where = f"{name} at {self.width}px ({self.page.url})"
        self.pages.append(where)
        settle(self.page)
        for violation in self.page.evaluate(RUN_AXE, WCAG_TAGS):
            targets = "; ".join(violation["targets"][:8])
            self.problems.append(
                f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}"
                f" -> {targets}"
            )
        if self.width <= 320:
            scroll = self.page.evaluate(SCROLL_WIDTH)
            if scroll > self.width:
                self.problems.append(f"{where}: scrolls sideways ({scroll}px wide)")

    def assert_clean(self) -> None:
        assert self.pages, "no page was audited"
        assert not self.problems, "accessibility problems:\n" + "\n".join(self.problems)


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def audit(request: pytest.FixtureRequest, page: Page, axe_js: Path) -> Audit:
    width = request.param
    page.route(
        f"**{AXE_PATH}", lambda route: route.fulfill(path=axe_js, content_type="text/javascript")
    )
    page.set_viewport_size({"width": width, "height": HEIGHT})
    return Audit(page, width)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings) -> None:  # noqa: ANN001
    """Each test's sign-in tries count from zero (they all come from 127.0.0.1 and, after each
    flush, are for the same first case reference): rate limits are tested in tests/portal, and
    the real-parts run keeps counts in Redis across tests. The live server runs in this process,
    so it reads the cache the settings name."""
    configured = settings.CACHES["default"]
    settings.CACHES = {"default": {**configured, "KEY_PREFIX": f"axe-{uuid.uuid4()}"}}


def _helpline() -> Organisation:
    return OrganisationFactory(slug="north-helpline", name="North Helpline", kind="helpline")


def test_the_public_report_pages(page: Page, audit: Audit) -> None:
    _helpline()
    page.goto("/report/")
    audit("the report form")

    page.get_by_label("Where did it happen? (optional)").fill(f"By the {PLACE}")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_title(re.compile("^Error: "))
    audit("the report form with errors")

    page.get_by_label("What happened?").fill(f"Made-up report for the axe check: {ABUSER} shouted.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".public-reference")).to_be_visible()
    audit("thanks, with the reference")
    page.goto("/report/thanks/")
    audit("thanks, without a reference")

    page.goto("/report/safety/")
    audit("staying safe online")
    audit.assert_clean()


def test_the_help_library(page: Page, audit: Audit) -> None:
    """The seeded library (conftest's SEEDS): 30 articles, two also in Welsh."""
    page.goto("/help/")
    audit("the library")
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    audit("the library, page 2")
    page.get_by_role("navigation", name="Topics").get_by_role("link").nth(1).click()
    expect(page).to_have_url(re.compile(r"topic="))
    audit("a topic")
    page.goto("/help/?q=court")
    audit("a search that finds")
    page.goto("/help/?q=zzyzx")
    audit("a search that finds nothing")
    page.goto("/help/?lang=cy")
    audit("the library in Welsh")
    page.goto("/help/going-to-court-as-a-witness/")
    audit("an article")
    page.goto("/help/crime-reference-number/?lang=cy")
    audit("an article in Welsh")
    page.goto("/help/phone-safety/?lang=cy")
    audit("an article with no Welsh text (English, with a note)")
    audit.assert_clean()


# The portal ------------------------------------------------------------------------------------

CODE = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{1,4}){6}")
STORE_PROBES = "() => { localStorage.setItem('probe', '1'); sessionStorage.setItem('probe', '1') }"
STORED = "() => [localStorage.length, sessionStorage.length]"
DURESS_CODE = "Bluebell7"  # made up; a code, not a person's data, so typed without a canary


def _portal_case() -> Case:
    """A verified case whose victim accepted the portal and said email is safe at any hour, with
    what the home page can show: an update, a support service staff chose to name, and an
    appointment meant for the victim."""
    helpline = _helpline()
    operator = StaffFactory(organisation=helpline, role=User.Role.OPERATOR)
    case = CaseFactory(
        helpline=helpline, status=Case.Status.VERIFIED, claimed_by=operator, channel="web"
    )
    victim = PersonFactory(
        name=VICTIM_NAME,
        phone=VICTIM_PHONE,
        contact_preferences={
            "contact": "allowed",
            "channels": ["email"],
            "email": VICTIM_EMAIL,
            "updates": True,
            "portal": True,
        },
    )
    CasePersonFactory(case=case, person=victim)
    PortalAccess.objects.create(case=case)
    service = OrganisationFactory(name="Riverside Outreach", kind=Organisation.Kind.CSO)
    ReferralFactory(case=case, organisation=service, shared_with_victim=True)
    FollowUp.objects.create(
        case=case,
        organisation=helpline,
        kind=FollowUpKind.objects.get(code="appointment"),
        due_at=timezone.now() + timedelta(days=3),
        for_victim=True,
        assignee=operator,
        created_by=operator,
    )
    PortalUpdate.objects.create(
        case=case,
        update_type=UpdateType.objects.get(code="new_message"),
        title="Someone is looking at your report",
        body="We will write to you here when there is news.",
    )
    return case


def _enter(page: Page, label: str, words: str) -> None:
    """Types a reference or a code: no person's data, so not through `fill`, which the journey log
    would make hold a canary."""
    page.get_by_label(label).click()
    page.keyboard.insert_text(words)


def _latest_code(case: Case) -> str:
    notice = Notification.objects.filter(case=case, kind="victim.sign_in_code").latest("pk")
    found = CODE.search(notice.text)
    assert found, "no code in the sign-in notice"
    return found.group(0)


def test_signing_in_to_the_portal(page: Page, audit: Audit) -> None:
    case = _portal_case()
    page.goto("/portal/sign-in/")
    audit("sign in: the reference")
    page.get_by_role("button", name="Send me a code").click()
    expect(page).to_have_title(re.compile("^Error: "))
    audit("sign in: no reference given")

    _enter(page, "What is your case reference?", case.number)
    page.get_by_role("button", name="Send me a code").click()
    expect(page).to_have_url(re.compile(r"/portal/sign-in/code/$"))
    audit("sign in: the code")
    _enter(page, "Enter the code we sent you", "ABCD-EFGH")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile("^Error: "))
    audit("sign in: a wrong code")

    _enter(page, "Enter the code we sent you", _latest_code(case))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    page.evaluate(STORE_PROBES)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    # Clear-Site-Data: the browser keeps nothing of the visit (UX.md 46)
    assert page.evaluate(STORED) == [0, 0]
    audit("signed out")
    audit.assert_clean()


def test_too_many_tries(page: Page, audit: Audit, settings) -> None:  # noqa: ANN001
    case = _portal_case()
    settings.PORTAL_ADDRESS_RATE = "1/h"  # the second try from here is one too many
    for _ in range(2):
        page.goto("/portal/sign-in/")
        _enter(page, "What is your case reference?", case.number)
        page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name="Too many tries")).to_be_visible()
    audit("too many tries")
    audit.assert_clean()


def _signed_in(page: Page, case: Case) -> None:
    page.goto("/portal/sign-in/")
    _enter(page, "What is your case reference?", case.number)
    page.get_by_role("button", name="Send me a code").click()
    _enter(page, "Enter the code we sent you", _latest_code(case))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))


def test_the_signed_in_portal(page: Page, audit: Audit) -> None:
    case = _portal_case()
    _signed_in(page, case)
    expect(page.get_by_text("Riverside Outreach")).to_be_visible()
    expect(page.get_by_text("Appointment", exact=False).first).to_be_visible()
    audit("home")

    page.goto("/portal/messages/")
    audit("messages, none yet")
    page.get_by_role("button", name="Send message").click()
    expect(page).to_have_title(re.compile("^Error: "))
    audit("messages, nothing written")
    page.get_by_label("Write a message").fill(f"Made-up message: {ABUSER} came round again.")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("status").filter(has_text="Sent")).to_be_visible()
    audit("messages, one sent")

    page.goto("/portal/safety/")
    audit("safety settings")
    _enter(page, "Choose a safety code", "1")
    page.get_by_role("button", name="Save my safety code").click()
    expect(page).to_have_title(re.compile("^Error: "))
    audit("safety settings with an error")
    audit.assert_clean()


def test_the_decoy_page(page: Page, audit: Audit) -> None:
    case = _portal_case()
    access = case.portal_access
    set_duress_code(access=access, typed=DURESS_CODE)
    page.goto("/portal/sign-in/")
    _enter(page, "What is your case reference?", case.number)
    page.get_by_role("button", name="Send me a code").click()
    _enter(page, "Enter the code we sent you", DURESS_CODE)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_text("There is nothing new")).to_be_visible()
    audit("the decoy")
    audit.assert_clean()


def test_without_javascript_a_victim_signs_in_and_writes(
    browser: Browser, live_server: LiveServer
) -> None:
    """The portal uses no script of its own: with scripts off, on a small phone, signing in,
    writing and signing out all work as plain forms."""
    case = _portal_case()
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 320, "height": 640}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        _signed_in(page, case)
        expect(page.locator("body")).not_to_have_class(re.compile("govuk-frontend-supported"))
        page.get_by_role("link", name=re.compile("^Messages")).click()
        page.get_by_role("button", name="Send message").click()  # empty: the error summary
        expect(page.get_by_role("alert")).to_contain_text("There is a problem")
        message = f"Made-up message without scripts: {ABUSER} has my keys."
        page.get_by_label("Write a message").fill(message)
        page.get_by_role("button", name="Send message").click()
        expect(page.get_by_role("status").filter(has_text="Sent")).to_be_visible()
        expect(page.get_by_text(message)).to_be_visible()
        assert Report.objects.filter(case=case, channel="portal").count() == 1
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
        page.goto("/portal/messages/")
        expect(page).to_have_url(re.compile(r"/portal/sign-in/$"))
    finally:
        context.close()


def test_the_audit_finds_what_it_is_there_for(page: Page, audit: Audit) -> None:
    """The check itself: an image without words and a box wider than a phone are reported."""
    page.goto("/report/safety/")
    page.evaluate(
        """() => {
          const img = document.createElement("img");
          img.src = "/static/img/favicon.svg";
          const wide = document.createElement("div");
          wide.style.width = "600px";
          wide.textContent = "wide";
          document.querySelector("main").append(img, wide);
        }"""
    )
    audit("a page spoiled on purpose")
    assert any(": image-alt " in problem for problem in audit.problems), audit.problems
    reflow = [problem for problem in audit.problems if "scrolls sideways" in problem]
    assert bool(reflow) == (audit.width <= 320), audit.problems
