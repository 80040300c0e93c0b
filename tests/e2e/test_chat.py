"""The web chat in two browsers: a member of the public on a 320 px phone and an operator at the
console. The public writes; the chat's case appears in the operator's live queue; the operator
takes it from the case page; they write both ways; the visitor leaves and the operator sees the
chat closed; the visitor's browser holds no cookie and nothing in storage. A second journey leaves
by the quick exit (Shift three times), which ends the chat too.

WebSockets: run against conftest's `daphne` on this test's database (and the real run's Redis)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from accounts.models import User
from cases.models import Case
from chat.models import Conversation
from live.presence import set_state
from tests.e2e.canaries import ABUSER, PLACE
from tests.e2e.helpers import csp_violations, submit_password, totp_code
from tests.factories import OrganisationFactory, StaffFactory
from tests.launchers import LaunchedDaphne

FIRST = f"Made-up chat words: {ABUSER} took my phone, can someone talk to me?"
REPLY = f"Made-up operator words: you are safe to talk here, is {ABUSER} with you now?"
SECOND = f"Made-up visitor words: no, I am at the {PLACE}."
FITS_ACROSS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
NEUTRAL_SITE = "https://www.bbc.co.uk/weather"


def _neutral_site(route: Route) -> None:
    route.fulfill(
        status=200, content_type="text/html", body="<!doctype html><title>Weather</title>"
    )


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[..., tuple[BrowserContext, Page, list[str]]]]:
    opened: list[BrowserContext] = []

    def open_context(base_url: str, **options: object) -> tuple[BrowserContext, Page, list[str]]:
        context = browser.new_context(base_url=base_url, **options)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        opened.append(context)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        return context, tab, errors

    yield open_context
    for context in opened:
        context.close()


def _available_operator() -> User:
    helpline = OrganisationFactory(slug="north-helpline", name="North Helpline")
    amina = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)
    User.objects.filter(pk=amina.pk).update(on_duty=True)
    amina.on_duty = True
    set_state(user=amina, state="available")
    return amina


def _sign_in(tab: Page, user: User) -> None:
    submit_password(tab, user.username)
    tab.fill("[name='token-otp_token']", totp_code(TOTPDevice.objects.get(user=user).bin_key))
    tab.press("[name='token-otp_token']", "Enter")
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()


def _the_case(timeout: float = 10.0) -> Case:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        case = Case.objects.filter(channel=Case.Channel.CHAT).first()
        if case is not None:
            return case
        time.sleep(0.1)
    raise AssertionError("the chat opened no case")


def _open_chat(tab: Page, words: str) -> None:
    tab.goto("/chat/")
    tab.get_by_label("Your message").fill(words)
    tab.get_by_role("button", name="Send", exact=True).click()
    expect(tab.locator("#chat-status")).to_contain_text("someone from the helpline will join")


def test_a_visitor_and_an_operator_chat_and_the_visitor_leaves_nothing_behind(
    daphne: LaunchedDaphne, contexts
) -> None:
    amina = _available_operator()
    _, op, op_errors = contexts(daphne.base_url)
    _sign_in(op, amina)
    op.goto("/console/")
    expect(op.locator("#live-status")).to_have_text(re.compile(r"^\s*Live\s*$"))
    public, visitor, visitor_errors = contexts(
        daphne.base_url, viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True
    )

    # the public writes first: a case opens and appears in the operator's queue, live
    _open_chat(visitor, FIRST)
    case = _the_case()
    expect(op.locator("#queue-rows")).to_contain_text(case.number)

    # the operator takes it from the case page; the visitor is told
    op.goto(f"/cases/{case.number}/")
    expect(op.locator("#chat-log")).to_contain_text(FIRST)
    op.get_by_role("button", name="Take this chat").click()
    expect(op.get_by_label("Message to the visitor")).to_be_visible()
    expect(visitor.locator("#chat-status")).to_contain_text("Someone from the helpline joined")

    # both ways
    op.get_by_label("Message to the visitor").fill(REPLY)
    op.get_by_role("button", name="Send to the visitor").click()
    expect(visitor.locator("#chat-log")).to_contain_text(REPLY)
    visitor.get_by_label("Your message").fill(SECOND)
    visitor.get_by_role("button", name="Send", exact=True).click()
    expect(op.locator("#chat-log")).to_contain_text(SECOND)
    assert visitor.evaluate(FITS_ACROSS)

    # the visitor leaves; the operator sees the chat closed, and is in wrap-up
    visitor.get_by_role("button", name="Leave the chat").click()
    expect(visitor.locator("#chat-status")).to_have_text("You left the chat.")
    expect(op.locator("#chat-state")).to_contain_text("The visitor left")
    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.closed_by) == ("closed", "visitor")

    # nothing of Lantern left in the visitor's browser
    assert public.cookies() == []
    assert visitor.evaluate("[localStorage.length, sessionStorage.length]") == [0, 0]
    assert visitor.url == f"{daphne.base_url}/chat/"
    for errors in (op_errors, visitor_errors):
        assert csp_violations(errors) == []
    assert visitor_errors == []


def test_the_quick_exit_ends_the_chat(daphne: LaunchedDaphne, contexts) -> None:
    _available_operator()
    public, visitor, errors = contexts(daphne.base_url, viewport={"width": 320, "height": 640})
    public.route("https://www.bbc.co.uk/**", _neutral_site)
    _open_chat(visitor, FIRST)
    _the_case()

    for _ in range(3):
        visitor.keyboard.press("Shift")

    expect(visitor).to_have_url(NEUTRAL_SITE)
    deadline = time.monotonic() + 10
    while Conversation.objects.get().status != "closed" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Conversation.objects.get().closed_by == "visitor"
    assert public.cookies() == []
    assert csp_violations(errors) == []


@pytest.mark.parametrize("width", [320, 1280])
def test_the_chat_page_passes_axe_with_messages_in_it(
    daphne: LaunchedDaphne, contexts, width: int
) -> None:
    from tests.e2e.test_accessibility import AXE_JS, AXE_PATH, Audit

    assert AXE_JS.exists(), "install axe-core: npm ci --prefix tests/e2e/axe"
    _available_operator()
    _, visitor, errors = contexts(daphne.base_url, viewport={"width": width, "height": 800})
    visitor.route(
        f"**{AXE_PATH}", lambda route: route.fulfill(path=AXE_JS, content_type="text/javascript")
    )
    audit = Audit(visitor, width)
    visitor.goto("/chat/")
    audit("the chat, empty")
    _open_chat(visitor, FIRST)
    expect(visitor.locator("#chat-log")).to_contain_text(FIRST)
    audit("the chat, with a message")

    audit.assert_clean()
    assert csp_violations(errors) == []
