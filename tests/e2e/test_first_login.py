"""Signing in: a new member of staff enrols an authenticator app on their first sign-in and lands on
their cases; an enrolled one signs in with a code, and a wrong code lets nobody in."""

from __future__ import annotations

import re
from collections.abc import Callable

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.e2e.helpers import (
    csp_violations,
    key_from_secret,
    submit_password,
    totp_code,
    wrong_code,
)
from tests.factories import CaseFactory, OrganisationFactory, StaffFactory


def test_new_operator_enrols_totp_and_lands_on_their_cases(
    page: Page, console_errors: list[str]
) -> None:
    helpline = OrganisationFactory(slug="east-helpline", name="East Helpline")
    StaffFactory(username="priya", organisation=helpline, role=User.Role.OPERATOR, device=False)
    case = CaseFactory(helpline=helpline)

    submit_password(page, "priya")

    # No device yet: nothing but enrolment is open to them.
    expect(page).to_have_url(re.compile(r"/accounts/two_factor/setup/$"))
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    # The authenticator app is the only method, so the wizard skips its "method" step.
    with page.expect_response(lambda r: r.url.endswith("/accounts/two_factor/qrcode/")) as qr:
        page.get_by_role("button", name="Next").click()

    # The QR code is an image from our own origin, so the strict img-src lets it load.
    assert qr.value.status == 200
    assert qr.value.headers["content-type"].startswith("image/svg+xml")
    qr_image = page.get_by_role("img", name="QR code for adding Lantern")
    expect(qr_image).to_be_visible()
    assert qr_image.evaluate("img => img.complete && img.naturalWidth > 0")

    # What an authenticator app does with the key: the code for the current 30 seconds.
    key = key_from_secret(page.locator("#totp-secret").inner_text())
    page.fill("[name='generator-token']", totp_code(key))
    page.press("[name='generator-token']", "Enter")  # keyboard users submit, not go back

    expect(page.get_by_role("heading", name="Two-step sign-in is on")).to_be_visible()
    assert TOTPDevice.objects.get(user__username="priya").confirmed
    page.get_by_role("link", name="Continue to Lantern").click()

    expect(page).to_have_url(re.compile(r"/console/$"))
    expect(page.get_by_role("link", name=case.number)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("priya")
    assert csp_violations(console_errors) == []


def test_enrolled_operator_signs_in_with_a_code(
    page: Page, log_in: Callable[[User], None], console_errors: list[str]
) -> None:
    helpline = OrganisationFactory(slug="west-helpline", name="West Helpline")
    operator = StaffFactory(username="tomasz", organisation=helpline, role=User.Role.OPERATOR)
    case = CaseFactory(helpline=helpline)

    log_in(operator)

    expect(page).to_have_url(re.compile(r"/console/$"))
    expect(page.get_by_role("link", name=case.number)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("tomasz")
    assert csp_violations(console_errors) == []


def test_wrong_code_is_refused(page: Page, console_errors: list[str]) -> None:
    helpline = OrganisationFactory(slug="west-helpline", name="West Helpline")
    operator = StaffFactory(username="tomasz", organisation=helpline, role=User.Role.OPERATOR)

    submit_password(page, "tomasz")
    page.fill("[name='token-otp_token']", wrong_code(TOTPDevice.objects.get(user=operator).bin_key))
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("Invalid token")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    # Still signed out: the case list sends them back to the login page.
    page.goto("/cases/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/cases/$"))
    assert csp_violations(console_errors) == []
