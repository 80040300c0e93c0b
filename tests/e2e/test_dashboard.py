"""A monitor's live dashboard in a browser: she signs in and lands on it, the "Reports today" tile
counts what came in, an SMS arrives and the tile counts it without a reload, saying when; when the
server goes away the status says "Paused" in words.

Like the console's journey (tests/e2e/test_console.py) this runs against a real daphne process on
this test's database, since pytest-django's live server cannot serve WebSockets; the webhook goes
to that daphne too, so on the embedded configuration the event is raised where the sockets are."""

from __future__ import annotations

import re

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, expect

from accounts.models import Organisation, User
from cases.models import Case
from tests.e2e.canaries import ABUSER, DASHBOARD_SENDER
from tests.e2e.helpers import csp_violations, submit_password, totp_code
from tests.factories import CaseFactory, OrganisationFactory, ReportFactory, StaffFactory
from tests.launchers import LaunchedDaphne
from tests.servers import send, signed_request
from tests.twilio import AUTH_TOKEN, sms_params

SMS = "/intake/twilio/sms/"
HELPLINE_NUMBER = "+447700900000"
UPDATED = re.compile(r"^Updated \d\d:\d\d:\d\d$")


def test_a_new_sms_shows_on_a_monitors_dashboard_without_a_reload(
    daphne: LaunchedDaphne, browser: Browser
) -> None:
    helpline = OrganisationFactory(
        slug="north-helpline", name="North Helpline", phone_number=HELPLINE_NUMBER
    )
    oversight = OrganisationFactory(
        slug="oversight", name="Oversight", kind=Organisation.Kind.MONITOR
    )
    mo = StaffFactory(username="mo", organisation=oversight, role=User.Role.MONITOR)
    # five reports already in today: a monitor's figures are shared ones, where 1 to 4 show as "<5"
    for _ in range(5):
        ReportFactory(case=CaseFactory(helpline=helpline))

    context = browser.new_context(base_url=daphne.base_url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # She signs in and lands on the dashboard, live.
        submit_password(tab, mo.username)
        tab.fill("[name='token-otp_token']", totp_code(TOTPDevice.objects.get(user=mo).bin_key))
        tab.press("[name='token-otp_token']", "Enter")
        expect(tab).to_have_url(re.compile(r"/dashboards/$"))
        expect(tab.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
        status = tab.locator("#live-status")
        expect(status).to_have_text(re.compile(r"^\s*Live\s*$"))
        tile = tab.locator("section.tile", has=tab.get_by_role("heading", name="Reports today"))
        expect(tile.locator(".tile-figure")).to_have_text("5")
        expect(tile.locator(".tile-updated")).to_have_text(UPDATED)
        expect(tab.locator("#suppression-note")).to_contain_text("shown as <5")
        sla = tab.locator("section.tile", has=tab.get_by_role("heading", name="Referrals past"))
        expect(sla.locator(".tile-figure")).to_have_text("0")
        first_stamp = tile.locator("time").get_attribute("datetime")

        # An SMS arrives (signed as Twilio signs it, against daphne's own public URL).
        params = sms_params(
            "SM" + "dash".rjust(32, "0"), sender=DASHBOARD_SENDER, body=f"{ABUSER} again"
        )
        params["To"] = HELPLINE_NUMBER
        assert send(signed_request(daphne.base_url, SMS, params, AUTH_TOKEN)) == 200
        assert Case.objects.count() == 6

        # The tile counts it without a reload, with the time the server counted it at.
        expect(tile.locator(".tile-figure")).to_have_text("6")
        expect(tile.locator(".tile-note")).to_contain_text("SMS 6")
        expect(tile.locator(".tile-updated")).to_have_text(UPDATED)
        assert tile.locator("time").get_attribute("datetime") >= first_stamp
        queue = tab.locator("section.tile", has=tab.get_by_role("heading", name="Queue length"))
        expect(queue.locator(".tile-figure")).to_have_text("6")
        expect(tab.locator("#table-helpline")).to_contain_text("North Helpline")
        expect(tab.locator("body")).not_to_contain_text(ABUSER)
        expect(status).to_have_text(re.compile(r"^\s*Live\s*$"))
        assert csp_violations(errors) == []
        assert errors == [], errors

        # The server goes away: the status says so in words, and the figures stay as they were.
        daphne.stop()
        expect(status).to_have_text(re.compile(r"^\s*Paused — reconnecting\s*$"))
        expect(status).to_have_attribute("data-state", "paused")
        expect(tile.locator(".tile-figure")).to_have_text("6")
        assert csp_violations(errors) == []
    finally:
        context.close()
