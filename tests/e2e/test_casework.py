"""The casework journey in a browser: an operator refers a verified case to a CSO; the CSO's
representative, on a phone-sized screen, accepts it from her workspace, logs a counselling session
in two taps from the case page and resolves it; the operator checks with the victim and closes it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import Organisation, User
from cases.models import AccessLog, Case
from referrals.models import Referral, ServiceRecord
from tests.e2e.canaries import ABUSER, PLACE, VICTIM_NAME
from tests.e2e.helpers import csp_violations, submit_password, totp_code
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    PersonFactory,
    ReportFactory,
    StaffFactory,
    category,
)

PHONE = {"width": 320, "height": 640}  # WCAG reflow: one column at 320 CSS pixels
FIRST_NAME = VICTIM_NAME.split()[0]
ACCOUNT = f"Made-up account: {ABUSER} hit me again last night by the {PLACE}."
RESOLUTION = f"Six sessions; {FIRST_NAME} feels safer."


@pytest.fixture
def open_tab(
    browser: Browser, live_server: LiveServer
) -> Iterator[Callable[..., tuple[Page, list[str]]]]:
    contexts = []

    def open_for(user: User, **context_options: object) -> tuple[Page, list[str]]:
        context = browser.new_context(base_url=live_server.url, **context_options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        submit_password(tab, user.username)
        tab.fill("[name='token-otp_token']", totp_code(TOTPDevice.objects.get(user=user).bin_key))
        tab.press("[name='token-otp_token']", "Enter")
        # signed in: the sign-out form is there (folded into the menu on a phone)
        expect(tab.locator("form[action='/accounts/logout/']")).to_be_attached()
        return tab, errors

    yield open_for
    for context in contexts:
        context.close()


def no_sideways_scroll(tab: Page) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_refer_accept_serve_resolve_close(open_tab) -> None:
    helpline = OrganisationFactory(slug="north-helpline", name="North Helpline")
    cso = OrganisationFactory(slug="safe-haven", name="Safe Haven", kind=Organisation.Kind.CSO)
    operator = StaffFactory(username="amina", organisation=helpline, role="operator")
    rep = StaffFactory(username="chidi", organisation=cso, role="cso_rep")
    case = CaseFactory(
        helpline=helpline,
        status=Case.Status.VERIFIED,
        claimed_by=operator,
        priority="high",
        category=category("physical"),
    )
    ReportFactory(case=case, body=ACCOUNT)
    CasePersonFactory(
        case=case,
        person=PersonFactory(
            name=VICTIM_NAME,
            contact_preferences={
                "contact": "allowed",
                "channels": ["call"],
                "safe_times": "mornings",
            },
        ),
    )

    # The operator refers the case, with the victim's consent.
    desk, desk_errors = open_tab(operator)
    desk.goto(f"/cases/{case.number}/")
    desk.get_by_role("link", name="Refer the case").click()  # the next step, on the status bar
    desk.get_by_label("Refer to").select_option(label="Safe Haven")
    desk.get_by_label("Why you refer the case, and what help is needed").fill(
        f"Counselling, {FIRST_NAME} asked for a woman counsellor"
    )
    desk.get_by_label("Yes, the victim agreed to this referral").check()
    desk.get_by_role("button", name=f"Refer case {case.number}").click()
    # the page's message (the header has status regions of its own: the operator's state)
    expect(desk.get_by_role("status").filter(has_text=case.number).first).to_be_visible()
    assert Referral.objects.get(case=case).status == Referral.Status.PENDING

    # The CSO representative, on her phone, lands on her workspace and accepts it.
    phone, phone_errors = open_tab(rep, viewport=PHONE, is_mobile=True, has_touch=True)
    expect(phone).to_have_url(re.compile(r"/casework/$"))
    phone.get_by_role("button", name=f"Accept case {case.number}").click()
    assert Referral.objects.get(case=case).status == Referral.Status.ACCEPTED
    phone.goto(f"/cases/{case.number}/")
    # the background without asking the victim again
    expect(phone.get_by_text(ACCOUNT)).to_be_visible()
    expect(phone.get_by_text(VICTIM_NAME).first).to_be_visible()
    assert no_sideways_scroll(phone)

    # Logging a counselling session: two taps from the case page.
    taps = 0
    phone.get_by_role("link", name="Counselling").click()
    taps += 1
    phone.get_by_label("How long, in minutes (optional)").fill("50")
    assert no_sideways_scroll(phone)
    phone.get_by_role("button", name="Save the service").click()
    taps += 1
    assert taps <= 3
    service = ServiceRecord.objects.get(case=case)
    assert service.service_type.code == "counselling"
    assert service.recorded_by == rep
    assert service.duration_minutes == 50

    # She resolves it; her access ends with her part.
    phone.goto(f"/cases/{case.number}/")
    phone.get_by_role("link", name="Resolve", exact=True).click()
    phone.get_by_label("What was done").fill(RESOLUTION)
    phone.get_by_role("button", name=f"Resolve case {case.number}").click()
    expect(phone).to_have_url(re.compile(r"/casework/"))
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED

    # The operator checks with the victim and closes the case.
    desk.goto(f"/cases/{case.number}/")
    expect(desk.get_by_text(RESOLUTION)).to_be_visible()
    desk.get_by_role("link", name="Close the case").first.click()
    desk.get_by_label("I checked with the victim: they agree it can close").check()
    desk.get_by_role("button", name=f"Close case {case.number}").click()
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert AccessLog.objects.filter(case=case, user=rep).exists()
    for errors in (desk_errors, phone_errors):
        assert not csp_violations(errors)
        assert not [e for e in errors if not _console_socket_refused(e)]


def _console_socket_refused(error: str) -> bool:
    """The console's socket and every staff page's alerts socket, which pytest-django's live
    server (no ASGI) cannot serve: their refusal is expected here (tests/e2e/test_console.py runs
    daphne for the sockets)."""
    return "/ws/helpline/" in error or "/ws/alerts/" in error or error == "[object Event]"
