"""The cast of users every test can call on, and the guard that keeps the real-parts run honest."""

from __future__ import annotations

import os
from collections.abc import Callable

import hypothesis
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, User
from tests.factories import OrganisationFactory, StaffFactory
from tests.privacy.audit_flush import let_the_flush_clear_the_access_log

REAL_SERVICES = os.environ.get("LANTERN_REAL_SERVICES") == "1"

# In CI the property tests replay the same examples each run, so a landing never hangs on chance;
# on a developer's machine they keep exploring new ones.
hypothesis.settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")


def pytest_report_header() -> list[str]:
    """Say in the output which parts this run used (CI shows PostgreSQL in its second run)."""
    db = settings.DATABASES["default"]
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    return [
        f"lantern: database {db['ENGINE'].rsplit('.', 1)[-1]}, channel layer {layer}, "
        f"celery broker {settings.CELERY_BROKER_URL.split(':', 1)[0]}, "
        f"real services requested: {REAL_SERVICES}"
    ]


@pytest.fixture(scope="session", autouse=True)
def _real_services_are_real(django_db_setup: None, django_db_blocker: object) -> None:
    """With LANTERN_REAL_SERVICES=1 (CI's second run) the suite must be on PostgreSQL and Redis:
    if either is missing every test errors here, instead of quietly running on the embedded parts."""
    if not REAL_SERVICES:
        return
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql", (
        "LANTERN_REAL_SERVICES=1 but DATABASE_URL is not PostgreSQL"
    )
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        assert connection.vendor == "postgresql"
    assert settings.REDIS_URL, "LANTERN_REAL_SERVICES=1 but REDIS_URL is not set"
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()


@pytest.fixture(autouse=True)
def _erasure_ledger_of_this_test(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each test its own erasure ledger: a shared one would list ids of people other tests erased
    and rolled back, and a restore's reapply_erasures would erase whoever has those ids now."""
    settings.ERASURE_LEDGER = tmp_path / "erasures.jsonl"


@pytest.fixture(scope="session", autouse=True)
def _flush_clears_the_access_log() -> None:
    """The append-only access log refuses a plain flush on SQLite (tests/privacy/audit_flush.py)."""
    let_the_flush_clear_the_access_log()


@pytest.fixture
def require_postgresql() -> None:
    """For tests only PostgreSQL can answer (row locks, real concurrency): skipped on the embedded
    run, and a failure (never a skip) on the real run when PostgreSQL is not there."""
    if connection.vendor != "postgresql":
        if REAL_SERVICES:
            pytest.fail("This test needs PostgreSQL and LANTERN_REAL_SERVICES=1 asked for it.")
        pytest.skip("needs PostgreSQL: runs in CI's real-parts run")


# The cast -----------------------------------------------------------------------------------------


@pytest.fixture
def helpline(db: None) -> Organisation:
    return OrganisationFactory(slug="north-helpline", name="North Helpline")


@pytest.fixture
def other_helpline(db: None) -> Organisation:
    return OrganisationFactory(slug="south-helpline", name="South Helpline")


@pytest.fixture
def cso(db: None) -> Organisation:
    return OrganisationFactory(slug="safe-haven", name="Safe Haven", kind=Organisation.Kind.CSO)


@pytest.fixture
def other_cso(db: None) -> Organisation:
    return OrganisationFactory(slug="legal-aid", name="Legal Aid", kind=Organisation.Kind.CSO)


@pytest.fixture
def monitor_org(db: None) -> Organisation:
    return OrganisationFactory(slug="oversight", name="Oversight", kind=Organisation.Kind.MONITOR)


@pytest.fixture
def operator(helpline: Organisation) -> User:
    return StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)


@pytest.fixture
def supervisor(helpline: Organisation) -> User:
    return StaffFactory(username="joan", organisation=helpline, role=User.Role.SUPERVISOR)


@pytest.fixture
def other_operator(other_helpline: Organisation) -> User:
    return StaffFactory(username="bola", organisation=other_helpline, role=User.Role.OPERATOR)


@pytest.fixture
def cso_rep(cso: Organisation) -> User:
    return StaffFactory(username="chidi", organisation=cso, role=User.Role.CSO_REP)


@pytest.fixture
def other_cso_rep(other_cso: Organisation) -> User:
    return StaffFactory(username="dana", organisation=other_cso, role=User.Role.CSO_REP)


@pytest.fixture
def monitor(monitor_org: Organisation) -> User:
    return StaffFactory(username="mo", organisation=monitor_org, role=User.Role.MONITOR)


@pytest.fixture
def admin_user(helpline: Organisation) -> User:
    return StaffFactory(username="ada", organisation=helpline, role=User.Role.ADMIN)


@pytest.fixture
def dpo(helpline: Organisation) -> User:
    return StaffFactory(username="dee", organisation=helpline, role=User.Role.DPO)


@pytest.fixture
def second_dpo(helpline: Organisation) -> User:
    """Another data-protection officer: the second pair of eyes an erasure needs."""
    return StaffFactory(username="priya", organisation=helpline, role=User.Role.DPO)


@pytest.fixture
def otp_client() -> Callable[[User], Client]:
    """A client signed in as the user with a verified second factor, as after a real 2FA login."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
        return client

    return make


@pytest.fixture
def password_only_client() -> Callable[[User], Client]:
    """Signed in with a password but no second factor."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def _live_events_not_paused(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A test that took Redis down paused this process's live events for five seconds
    (notifications.realtime): the next test on the same worker would hear none of its own."""
    from notifications import realtime

    monkeypatch.setattr(realtime, "_paused_until", 0.0)


@pytest.fixture(autouse=True)
def _twilio_test_account(settings) -> None:
    """Every test's Twilio is a made-up account; webhooks are signed with its token."""
    from tests.twilio import AUTH_TOKEN

    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32


@pytest.fixture
def captured_broadcasts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict]]:
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(
        "notifications.realtime.broadcast",
        lambda groups, event: sent.append((list(groups), dict(event))),
    )
    return sent
