"""The victim portal from end to end, in a real browser, with real email (issue 14's journey).

An operator verifies a case whose victim asked to follow their report online and said email is
the safe way; the invitation reaches a real SMTP server on loopback in neutral words. On a 375 px
phone the victim signs in with the case reference and the code that comes by email, reads where
their report is, and writes a message; the operator sees it arrive without reloading and replies
from the case page; the victim reads the reply, and the "new message" email says nothing of it.
Then "Leave this site": the neutral page, and Back does not bring the portal back.

The operator's page needs WebSockets, so Lantern runs under daphne (`launch_daphne`) with the
production settings module and EMAIL_URL pointed at the SMTP server (the test settings keep mail
in memory). The outbox is delivered as each configuration delivers it: in-process Celery on the
embedded one, a real Celery worker on Redis on the real one. Those settings check passwords with
Django's own hashers, so the operator's password is hashed with one of them here."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from accounts.models import User
from cases.models import Case
from portal.models import PortalAccess
from tests.e2e.canaries import ABUSER, VICTIM_EMAIL, VICTIM_NAME, VICTIM_PHONE, JourneyLog
from tests.e2e.helpers import csp_violations, submit_password, totp_code
from tests.factories import (
    TEST_PASSWORD,
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    ReportFactory,
    StaffFactory,
)
from tests.launchers import LaunchedDaphne
from tests.notifications.fakes import SmtpServer, smtp_server
from tests.servers import CeleryWorker, running

HELPLINE_NAME = "North Helpline"
# Where "Leave this site" goes: a page on loopback the browser never really fetches (the test
# answers it), so the journey touches no network.
NEUTRAL_SITE = "http://127.0.0.1:9/weather"
CODE = re.compile(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{1,4}){6}\b")
REPORT_TEXT = f"Made-up report for the portal journey: {ABUSER} keeps turning up at my work."
MESSAGE = f"Made-up portal message: {ABUSER} was outside again last night. Can we talk?"
REPLY = f"Made-up reply: thank you for telling us about {ABUSER}. We will call you at 4pm."
MAIL_WAIT = 30.0  # seconds: the outbox may wait for a worker on the real configuration
WAIT = 15_000  # ms, for what a page shows after work on the server or a push


# The stage: Lantern under daphne sending real email, and the outbox's worker ----------------


class Stage:
    def __init__(self, daphne: LaunchedDaphne, smtp: SmtpServer) -> None:
        self.daphne = daphne
        self.smtp = smtp

    def mark(self) -> int:
        """How many emails have arrived so far: `mail(since=...)` looks only at later ones."""
        return len(self.smtp.messages)

    def mail(
        self, to: str, *, since: int, matching: Callable[[EmailMessage], bool] = lambda _: True
    ) -> EmailMessage:
        """The first email to `to` that arrived after `since` and is `matching`, waiting (by
        polling the server's list, with a deadline) for the outbox to deliver it."""
        deadline = time.monotonic() + MAIL_WAIT
        while True:
            for message in self.smtp.messages[since:]:
                if to in str(message["To"]) and matching(message):
                    return message
            assert time.monotonic() < deadline, f"no such email arrived in {MAIL_WAIT}s"
            time.sleep(0.05)


@pytest.fixture
def stage(launch_daphne: Callable[[dict[str, str]], LaunchedDaphne]) -> Iterator[Stage]:
    with smtp_server() as smtp:
        env = {
            "DJANGO_SETTINGS_MODULE": "project.settings.base",
            "EMAIL_URL": f"smtp://{smtp.host}:{smtp.port}",
            "QUICK_EXIT_URL": NEUTRAL_SITE,
            # The real-parts run keeps rate-limit counts in Redis across tests, all from
            # 127.0.0.1 and for the same first case reference; the limits have their own tests.
            "PORTAL_ADDRESS_RATE": "1000/h",
            "PORTAL_CODE_RATE": "1000/h",
        }
        daphne = launch_daphne(env)
        if settings.REDIS_URL:
            # Real parts: the web process queues deliveries on Redis; a worker of the same
            # settings sends them (with daphne's address in the links it writes).
            worker = CeleryWorker(
                env={
                    **daphne.env,
                    "PUBLIC_BASE_URL": daphne.base_url,
                    "REDIS_URL": settings.REDIS_URL,
                }
            )
            with running(worker):
                yield Stage(daphne, smtp)
        else:
            yield Stage(daphne, smtp)


# The people -------------------------------------------------------------------------------------


def _operator(helpline) -> User:  # noqa: ANN001
    """An operator on duty whose password the production settings' hashers can check."""
    operator = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)
    hasher = PBKDF2PasswordHasher()
    operator.password = hasher.encode(TEST_PASSWORD, hasher.salt())
    operator.on_duty = True
    operator.save(update_fields=["password", "on_duty"])
    return operator


def _case_waiting(helpline, operator: User) -> Case:  # noqa: ANN001
    """A report from the web form, claimed by the operator: its victim asked to follow it online
    and said email is safe, and not to name the organisation."""
    case = CaseFactory(
        helpline=helpline, status=Case.Status.IN_TRIAGE, claimed_by=operator, channel="web"
    )
    ReportFactory(case=case, channel="web", sender="", body=REPORT_TEXT)
    CasePersonFactory(
        case=case,
        person__name=VICTIM_NAME,
        person__phone=VICTIM_PHONE,
        person__contact_preferences={
            "contact": "allowed",
            "channels": ["email"],
            "email": VICTIM_EMAIL,
            "no_org_name": True,
            "updates": True,
            "portal": True,
        },
    )
    return case


def _context(browser: Browser, base_url: str, errors: list[str], **options: object) -> Page:
    context: BrowserContext = browser.new_context(base_url=base_url, **options)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    return tab


def _sign_in_staff(tab: Page, user: User) -> None:
    submit_password(tab, user.username)
    tab.fill("[name='token-otp_token']", totp_code(TOTPDevice.objects.get(user=user).bin_key))
    tab.press("[name='token-otp_token']", "Enter")
    # slower than the test settings' sign-in: a real password hash to check
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible(timeout=WAIT)


def _enter(tab: Page, label: str, words: str) -> None:
    """Types a case reference or a code: nobody's personal data, so not through `fill`, which
    the journey log would have hold a canary. (The code is checked against the logs below.)"""
    tab.get_by_label(label).tap()
    tab.keyboard.insert_text(words)


def _neutral_site(route: Route) -> None:
    route.fulfill(
        status=200,
        content_type="text/html",
        body="<!doctype html><title>Weather</title><h1>Weather</h1>",
    )


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    assert part is not None
    return part.get_content()


def _everything(message: EmailMessage) -> str:
    """Every header and every part, decoded: what anyone glancing at the email could read."""
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    parts = [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    return "\n".join([headers, *parts]).lower()


def test_verified_invited_signed_in_on_a_phone_writes_and_reads_the_reply(
    stage: Stage, browser: Browser, journey_log: JourneyLog
) -> None:
    helpline = OrganisationFactory(slug="north-helpline", name=HELPLINE_NAME)
    operator = _operator(helpline)
    case = _case_waiting(helpline, operator)
    staff_errors: list[str] = []
    victim_errors: list[str] = []

    # The operator verifies the report; the victim's answers from the web form are kept.
    desk = _context(browser, stage.daphne.base_url, staff_errors)
    _sign_in_staff(desk, operator)
    desk.goto(f"/console/{case.number}/verify/")
    told_us = desk.get_by_role("region", name="Safe contact (as the victim told us)")
    expect(told_us).to_contain_text("Wants to follow their report online")
    desk.get_by_label("Category").select_option(label="Coercive control")
    desk.get_by_label("Standard", exact=True).check()
    before_verifying = stage.mark()
    desk.get_by_role("button", name="Verify as genuine").click()
    expect(desk).to_have_url(re.compile(rf"/cases/{case.number}/$"))
    assert PortalAccess.objects.filter(case=case).exists()

    # The invitation: by email, in neutral words, with the reference and the portal's address.
    invitation = stage.mail(
        VICTIM_EMAIL, since=before_verifying, matching=lambda m: case.number in _body(m)
    )
    words = f"{invitation['Subject']}\n{_body(invitation)}"
    assert case.number in words
    assert f"{stage.daphne.base_url}/portal/" in words
    for secret in (HELPLINE_NAME, "Helpline", ABUSER, VICTIM_NAME):
        assert secret.lower() not in _everything(invitation), secret

    # On a small phone, the victim follows the link and asks for a code.
    phone = _context(
        browser,
        stage.daphne.base_url,
        victim_errors,
        viewport={"width": 375, "height": 667},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    phone.context.route(f"{NEUTRAL_SITE}*", _neutral_site)
    phone.goto("/portal/")
    expect(phone).to_have_url(re.compile(r"/portal/sign-in/$"))
    _enter(phone, "What is your case reference?", case.number.lower())  # typed as they like
    before_asking = stage.mark()
    phone.get_by_role("button", name="Send me a code").tap()
    expect(phone).to_have_url(re.compile(r"/portal/sign-in/code/$"))
    assert case.number not in phone.url

    # The code comes by email (never on the screen); pasted in groups, it signs them in.
    code_mail = stage.mail(
        VICTIM_EMAIL, since=before_asking, matching=lambda m: bool(CODE.search(_body(m)))
    )
    code = CODE.search(_body(code_mail)).group(0)  # type: ignore[union-attr]
    for secret in (HELPLINE_NAME, "Helpline", ABUSER, VICTIM_NAME):
        assert secret.lower() not in _everything(code_mail), secret
    expect(phone.get_by_text(code)).to_have_count(0)
    _enter(phone, "Enter the code we sent you", code)
    phone.get_by_role("button", name="Sign in").tap()

    # Where the report is, in plain words.
    expect(phone).to_have_url(re.compile(r"/portal/$"))
    expect(phone.get_by_text("Someone is looking at your report")).to_be_visible()
    expect(phone.get_by_text("What happens next", exact=False).first).to_be_visible()

    # The operator is on the case page when the victim writes.
    expect(desk.locator("#alert-toasts")).to_have_attribute("data-socket", "open")
    phone.get_by_role("link", name=re.compile("^Messages")).tap()
    phone.get_by_label("Write a message").fill(MESSAGE)
    phone.get_by_role("button", name="Send message").tap()
    expect(phone.get_by_role("status").filter(has_text="Sent")).to_be_visible()
    expect(phone.get_by_text(MESSAGE)).to_be_visible()

    # ...and sees it come in without reloading: a toast naming the case only.
    toast = desk.locator("#alert-toasts .alert-toast")
    expect(toast).to_contain_text(f"New message on case {case.number}")
    expect(toast).not_to_contain_text(ABUSER)
    toast.get_by_role("link", name=f"Open case {case.number}").click()
    expect(desk.locator("#reports").get_by_text(MESSAGE)).to_be_visible()

    # She replies from the case page's portal panel.
    desk.get_by_label("Reply in the portal").fill(REPLY)
    before_replying = stage.mark()
    desk.get_by_role("button", name="Put in the portal").click()
    expect(desk.get_by_text(REPLY).first).to_be_visible()

    # The victim gets a neutral email, and reads the reply only in the portal.
    notice = stage.mail(VICTIM_EMAIL, since=before_replying)
    notice_words = f"{notice['Subject']}\n{_body(notice)}"
    assert f"{stage.daphne.base_url}/portal/" in notice_words
    for secret in (REPLY, ABUSER, HELPLINE_NAME, "Helpline", VICTIM_NAME):
        assert secret.lower() not in _everything(notice), secret
    phone.reload()
    expect(phone.get_by_text(REPLY)).to_be_visible()
    expect(phone.get_by_text(MESSAGE)).to_be_visible()

    # "Leave this site": the neutral page at once, and Back does not bring the portal back.
    phone.evaluate(
        "() => { localStorage.setItem('probe', '1'); sessionStorage.setItem('probe', '1') }"
    )
    phone.get_by_role("button", name=re.compile("Leave this site")).tap()
    expect(phone).to_have_url(NEUTRAL_SITE)
    phone.go_back()
    expect(phone.get_by_text(REPLY)).to_have_count(0)
    expect(phone.get_by_text(MESSAGE)).to_have_count(0)
    # Signed out, and the browser keeps nothing of the site.
    phone.goto("/portal/messages/")
    expect(phone).to_have_url(re.compile(r"/portal/sign-in/$"))
    assert phone.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 0]

    for context in (desk.context, phone.context):
        context.close()
    stage.daphne.stop()  # its log goes to the journey log, checked for every canary at the end
    lines = [*journey_log.app_lines, *(x for ls in journey_log.server_lines.values() for x in ls)]
    assert not [line for line in lines if code in line or code.replace("-", "") in line]
    assert csp_violations(staff_errors + victim_errors) == []
    assert victim_errors == [], victim_errors
