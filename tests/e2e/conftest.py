"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server.

A new journey is a `test_*.py` here whose tests take the `page` fixture (already pointed at the live
server) and create their data with tests.factories; `log_in` signs a user in through the real
pages; a journey that needs WebSockets takes `daphne` instead (a real daphne started as production
starts it). Every test here is marked `e2e` and runs after the rest of the suite; every journey
(a test using the browser) gets a transactional database the server can see, fails if the browser
reports a CSP violation, and leaves a screenshot in test-results/ when it fails. Every line the app and the servers log during the journeys is kept
and, after the last journey, grepped for the made-up people of tests/e2e/canaries.py and whatever
the journeys typed (`journey_log`): a leak fails the session.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from tests.e2e.canaries import JourneyLog
from tests.e2e.helpers import csp_violations, submit_password, totp_code
from tests.launchers import LaunchedDaphne, dockerfile_argv
from tests.seeds import reseed
from tests.servers import running
from tests.test_security_headers import _server_env
from tests.twilio import AUTH_TOKEN

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
E2E_DIR = Path(__file__).resolve().parent
RESULTS_DIR = E2E_DIR.parents[1] / "test-results"
CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    e2e, rest = [], []
    for item in items:
        if E2E_DIR not in item.path.parents:
            rest.append(item)
            continue
        item.add_marker(pytest.mark.e2e)
        journey = "browser" in getattr(item, "fixturenames", ())
        if journey and item.get_closest_marker("django_db") is None:
            # Transactional so the server thread sees the test's data. The flush after each
            # journey empties the tables; `_seeded_lookups` puts the configurable lists back.
            item.add_marker(pytest.mark.django_db(transaction=True))
        e2e.append(item)
    # Last, because while Playwright runs, its event loop is visible to every later test in this
    # process (asyncio tests would refuse to start), and the flush after each journey empties the
    # database for whatever follows.
    items[:] = rest + e2e


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report  # so `page` knows, at teardown, whether to screenshot
    return report


@pytest.fixture(scope="session", autouse=True)
def journey_log() -> Iterator[JourneyLog]:
    """Captures for the whole session; checks at its end, so any selection of journeys feeds it."""
    log = JourneyLog()
    with log.capturing():
        yield log
    log.check()


@pytest.fixture(autouse=True)
def _live_server_noted(request: pytest.FixtureRequest, journey_log: JourneyLog) -> None:
    if "live_server" in request.fixturenames:
        journey_log.live_server_used = True


class _JourneyDaphne(LaunchedDaphne):
    """Hands what it wrote to the journey log before its log file goes (a journey may stop it)."""

    def __init__(self, journey_log: JourneyLog, **kwargs: object) -> None:
        super().__init__(dockerfile_argv(), **kwargs)  # type: ignore[arg-type]
        self.journey_log = journey_log

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # first, so its last lines are written
            with contextlib.suppress(subprocess.TimeoutExpired):  # then killed by stop()
                self.process.wait(10)
        if self.log_path.exists():
            self.journey_log.add_server(f"daphne on port {self.port}", self.log())
        super().stop()


@pytest.fixture
def daphne(journey_log: JourneyLog) -> Iterator[LaunchedDaphne]:
    """Lantern under daphne with production's arguments, on this test's database (and, on the
    real run, the same Redis): for journeys that need WebSockets, which pytest-django's live
    server (WSGI) cannot serve. The test settings, so it checks passwords with the factories'
    fast hasher; its log at INFO, so the journey log holds every request it answered."""
    env = {
        **_server_env(),
        "DJANGO_SETTINGS_MODULE": "project.settings.test",
        "LOG_LEVEL": "INFO",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    }
    with running(_JourneyDaphne(journey_log, env=env)) as (server,):
        yield server


@pytest.fixture(autouse=True)
def _seeded_lookups(request: pytest.FixtureRequest) -> None:
    """What the data migration seeds (categories, service types...), which a flush removes. The
    role groups come back by themselves: the flush re-runs post_migrate."""
    if "browser" not in request.fixturenames:
        return  # not a journey (the journey log's own tests): no database
    request.getfixturevalue("transactional_db")
    reseed()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium: apt-get install -y chromium",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as mp:
        # The sync API keeps an event loop running in this thread while Playwright is started, and
        # Django refuses ORM calls under a running loop. Allowed only while the browser is up
        # (journeys run last), so the rest of the suite still catches real async-unsafe calls.
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as p:
            # Debian's Chromium, never a downloaded one: the same browser in CI and on a laptop.
            chromium = p.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()


@pytest.fixture
def console_errors() -> list[str]:
    """What the browser reported as errors during the test: console errors and uncaught exceptions."""
    return []


@pytest.fixture
def page(
    browser: Browser,
    live_server: LiveServer,
    console_errors: list[str],
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    """A tab in a fresh context (no cookies from other tests) whose relative URLs hit the server."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: console_errors.append(str(exc)))
    yield tab
    report = request.node.stash.get(CALL_REPORT, None)
    failed = report is not None and report.failed
    if failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        tab.screenshot(path=RESULTS_DIR / f"{name}.png", full_page=True)
    context.close()
    # Every journey doubles as a check of the strict CSP against the pages it visits.
    violations = csp_violations(console_errors)
    if violations and not failed:
        pytest.fail("The browser refused content under the CSP:\n" + "\n".join(violations))


@pytest.fixture
def log_in(page: Page) -> Callable[[User], None]:
    """Sign a user in through the real pages: password, then the current code from their device."""

    def sign_in(user: User) -> None:
        submit_password(page, user.username)
        key = TOTPDevice.objects.get(user=user).bin_key
        page.fill("[name='token-otp_token']", totp_code(key))
        page.press("[name='token-otp_token']", "Enter")  # Enter must submit, not go "Back"
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    return sign_in


@pytest.fixture
def launch_daphne(journey_log: JourneyLog) -> Iterator[Callable[[dict[str, str]], LaunchedDaphne]]:
    """Like `daphne`, for a journey that needs settings of its own: `launch(env)` starts Lantern
    under daphne on this test's database with `env` over the test environment (an SMTP server,
    another quick-exit page, another settings module). Stopped after the test; its log goes to
    the journey log like `daphne`'s."""
    with contextlib.ExitStack() as stack:

        def launch(env: dict[str, str]) -> LaunchedDaphne:
            base = {
                **_server_env(),
                "DJANGO_SETTINGS_MODULE": "project.settings.test",
                "LOG_LEVEL": "INFO",
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            }
            server = _JourneyDaphne(journey_log, env={**base, **env})
            (started,) = stack.enter_context(running(server))
            return started

        yield launch
