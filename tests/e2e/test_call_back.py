"""Safe call-back in a browser, on a 320 px phone, keyboard only: the operator reads on the case page
what safe contact says before pressing, opens "Call back", confirms, and the page says her phone is
ringing while the Calls panel lists the call-back; the provider (Twilio's REST API, a loopback
stand-in driven by the real client) was asked to ring her own phone from the helpline's number,
never the victim's. A victim outside their safe hours gets no button at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from cases.models import Case
from live.models import Call
from tests.e2e import test_accessibility as a11y
from tests.e2e.canaries import VICTIM_NAME, VICTIM_PHONE
from tests.e2e.test_accessibility import AXE_PATH, WCAG_TAGS, settle
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    PersonFactory,
    StaffFactory,
)
from tests.live.test_callback_fake import CallsFake, calls_fake

axe_js = a11y.axe_js  # the axe-core script (a failure, never a skip, when it is missing)
HELPLINE_NUMBER = "+447700900000"
OPERATOR_PHONE = "+447700900111"


@pytest.fixture
def provider(settings) -> Iterator[CallsFake]:
    with calls_fake(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN) as fake:
        settings.TWILIO_API_BASE_URL = fake.base_url
        yield fake


# axe-core on the Calls panel only (the rest of the case page is audited where it is owned)
AXE_ON_CALLS = """async (tags) => {
  const result = await axe.run({include: [["section#calls"]]}, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => `${v.id}: ${v.help} -> ${v.nodes.map((n) => n.target).join("; ")}`);
}"""


def _axe_on_calls(page: Page) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_PATH)
    settle(page)
    return page.evaluate(AXE_ON_CALLS, WCAG_TAGS)


def _world(preferences: dict) -> tuple[User, Case]:
    helpline = OrganisationFactory(
        slug="north-helpline", name="North Helpline", phone_number=HELPLINE_NUMBER
    )
    amina = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR,
                         phone=OPERATOR_PHONE)  # fmt: skip
    case = CaseFactory(helpline=helpline, status=Case.Status.IN_TRIAGE, claimed_by=amina)
    victim = PersonFactory(name=VICTIM_NAME, phone=VICTIM_PHONE, contact_preferences=preferences)
    CasePersonFactory(case=case, person=victim)
    return amina, case


def test_an_operator_calls_back_from_a_phone_with_the_keyboard(
    page: Page, log_in: Callable[[User], None], provider: CallsFake, axe_js: Path
) -> None:
    page.route(
        f"**{AXE_PATH}", lambda route: route.fulfill(path=axe_js, content_type="text/javascript")
    )
    amina, case = _world({"contact": "allowed", "channels": ["phone"]})
    log_in(amina)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"/cases/{case.number}/")
    calls = page.locator("section#calls")
    expect(calls.get_by_role("heading", name="Calls")).to_be_visible()
    expect(calls.get_by_text("No calls on this case yet.")).to_be_visible()
    expect(calls.get_by_text("Safe to call now")).to_be_visible()
    confirm = calls.get_by_role("button", name="Yes, ring my phone now")
    expect(confirm).to_be_hidden()  # pressing once only opens the confirm

    opener = calls.locator("summary")
    opener.focus()
    page.keyboard.press("Enter")
    expect(confirm).to_be_visible()
    for target in (opener, confirm):
        box = target.bounding_box() or {"height": 0, "width": 0, "x": 0}
        assert box["height"] >= 24  # WCAG 2.5.8
        assert box["x"] + box["width"] <= 320
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scrolling
    assert _axe_on_calls(page) == []  # WCAG 2.2 AA, with the confirm open
    confirm.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Calling your phone now")).to_be_visible()
    expect(page.locator("section#calls .call-line")).to_have_count(1)
    expect(page.locator("section#calls .call-line").first).to_contain_text("Call-back")
    expect(page.locator("section#calls .call-line").first).to_contain_text("Ringing")
    assert VICTIM_PHONE not in page.url
    assert _axe_on_calls(page) == []  # and with the ringing call listed
    [placed] = provider.placed
    assert (placed.to, placed.from_) == (OPERATOR_PHONE, HELPLINE_NUMBER)
    call = Call.objects.get()
    assert (call.operator_id, call.call_sid, call.outcome) == (amina.pk, placed.sid, "ringing")


def test_outside_the_safe_hours_there_is_no_button_only_the_reason(
    page: Page, log_in: Callable[[User], None], provider: CallsFake
) -> None:
    later = timezone.localtime() + timedelta(hours=2)
    until = later + timedelta(hours=1)
    amina, case = _world({"contact": "allowed", "channels": ["phone"],
                          "safe_from": f"{later:%H:%M}", "safe_until": f"{until:%H:%M}"})  # fmt: skip
    log_in(amina)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"/cases/{case.number}/")
    calls = page.locator("section#calls")
    expect(
        calls.get_by_text(f"outside the victim's safe hours, from {later:%H:%M}")
    ).to_be_visible()
    expect(calls.locator("summary")).to_have_count(0)
    expect(calls.locator("form")).to_have_count(0)
    assert provider.requests == []
