"""Operator states in a browser (issue 17.5). An operator has the console open, her supervisor the
team view; she sets herself available in the header and his team view says so without a reload.
Lantern then puts her in wrap-up after a call: her header counts it down from the server's
timestamps, Ready ends it early and his view follows; a wrap-up left to run out turns into
Available by itself, announced to her.

Needs WebSockets, so it runs against conftest's `daphne` on this test's database: her clicks go
to that daphne, whose channel layer (in memory on the embedded run, Redis on the real one) holds
his socket."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from live.models import LineSettings
from live.presence import end_conversation, start_conversation
from tests.e2e.helpers import csp_violations, signed_in_tab
from tests.factories import CaseFactory, OrganisationFactory, StaffFactory
from tests.launchers import LaunchedDaphne


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[[str, User, str], tuple[Page, list[str]]]]:
    contexts: list[BrowserContext] = []

    def open_for(base_url: str, user: User, path: str) -> tuple[Page, list[str]]:
        context = browser.new_context(base_url=base_url)
        contexts.append(context)
        tab, errors = signed_in_tab(context, user)
        tab.goto(path)
        return tab, errors

    yield open_for
    for context in contexts:
        context.close()


def test_the_supervisor_sees_the_operators_state_change_live(
    daphne: LaunchedDaphne, open_tab
) -> None:
    helpline = OrganisationFactory(slug="north-helpline", name="North Helpline")
    LineSettings.objects.create(helpline=helpline, wrap_up_seconds=120)
    amina = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)
    joan = StaffFactory(username="joan", organisation=helpline, role=User.Role.SUPERVISOR)

    her, her_errors = open_tab(daphne.base_url, amina, "/console/")
    him, his_errors = open_tab(daphne.base_url, joan, "/console/team/")
    expect(her.locator("#live-status")).to_have_text(re.compile(r"^\s*Live\s*$"))
    row = him.locator("#operator-amina")
    expect(row).to_contain_text("Away")
    him.evaluate("window.notReloaded = true")
    switch = her.locator("#state-switch")
    expect(switch).to_contain_text("Away")
    expect(switch.get_by_role("button", name=re.compile("Off duty"))).to_have_attribute(
        "aria-pressed", "false"
    )

    # She goes available: on duty too, said to her, and his team view follows without a reload.
    switch.get_by_role("button", name=re.compile("Set available")).click()
    expect(switch).to_have_attribute("data-state", "available")
    expect(switch.locator(".state-label")).to_have_text("Available")
    expect(switch.get_by_role("button", name=re.compile("On duty"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(her.locator("#state-announcer")).to_contain_text("You are available")
    expect(row).to_have_attribute("data-state", "available", timeout=5_000)
    expect(row.locator(".operator-state-label")).to_have_text("Available")
    assert him.evaluate("window.notReloaded") is True

    # Lantern: a call on a case, then its wrap-up (two minutes). Her page is drawn again.
    case = CaseFactory(helpline=helpline)
    start_conversation(user=amina, activity="call", case=case)
    end_conversation(user=amina)
    her.reload()
    switch = her.locator("#state-switch")
    expect(switch.locator(".state-label")).to_have_text("Wrap-up")
    first = switch.locator("#state-timer").inner_text()
    expect(switch.locator("#state-timer")).not_to_have_text(first, timeout=3_000)  # it counts
    assert re.fullmatch(r"0[12]:\d\d left", switch.locator("#state-timer").inner_text())
    him.reload()
    row = him.locator("#operator-amina")
    expect(row).to_have_attribute("data-state", "wrap_up")
    expect(row.locator(".operator-clock")).to_contain_text("left")
    him.evaluate("window.notReloaded = true")

    # Ready ends it early; he sees her available again, live.
    switch.get_by_role("button", name=re.compile("Ready")).click()
    expect(switch).to_have_attribute("data-state", "available")
    expect(row).to_have_attribute("data-state", "available", timeout=5_000)
    assert him.evaluate("window.notReloaded") is True

    # A short wrap-up left to run out: her switch turns Available by itself and tells her.
    # (long enough for a busy machine to draw the page before it runs out)
    LineSettings.objects.filter(helpline=helpline).update(wrap_up_seconds=10)
    start_conversation(user=amina, activity="call", case=case)
    end_conversation(user=amina)
    her.reload()
    switch = her.locator("#state-switch")
    expect(switch).to_have_attribute("data-state", "wrap_up")
    expect(switch).to_have_attribute("data-state", "available", timeout=20_000)
    expect(her.locator("#state-announcer")).to_contain_text("You are available")

    for errors in (her_errors, his_errors):
        assert not csp_violations(errors), errors
        assert errors == [], errors
