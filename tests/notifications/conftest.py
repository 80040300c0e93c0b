"""The outbox's world: the providers' stand-ins on loopback and a case whose victim may be texted,
with canaries in everything a message must never carry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cases.models import Case
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory
from tests.notifications.fakes import SmtpServer, TwilioFake, smtp_server, twilio_fake

HELPLINE_NUMBER = "+447700900000"
VICTIM_PHONE = "+447700900456"
VICTIM_EMAIL = "safe-address@example.invalid"
# Made-up canaries: found anywhere a message or log line goes, they mean case content leaked.
CANARY_NAME = "Zephyrine Canaryfield"
CANARY_REPORT = "CANARY-a91f he waits outside the bakery. Made-up test text."
TEXT = "Your appointment is confirmed for Tuesday. Made-up test text."


@pytest.fixture
def twilio(settings) -> Iterator[TwilioFake]:
    """The real twilio Client, pointed at a stand-in for Twilio's REST API on loopback."""
    with twilio_fake(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN) as fake:
        settings.TWILIO_API_BASE_URL = fake.base_url
        settings.TWILIO_FROM_NUMBER = HELPLINE_NUMBER
        yield fake


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    """Django's SMTP backend talking to a real SMTP server on loopback."""
    with smtp_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        yield server


@pytest.fixture
def case(helpline) -> Case:
    """A case on the helpline whose victim said texts and email are safe at any hour."""
    helpline.phone_number = HELPLINE_NUMBER
    helpline.save()
    case = CaseFactory(helpline=helpline)
    ReportFactory(case=case, body=CANARY_REPORT, sender=VICTIM_PHONE)
    preferences = {"contact": "allowed", "channels": ["sms", "email"], "email": VICTIM_EMAIL}
    victim = PersonFactory(name=CANARY_NAME, phone=VICTIM_PHONE, contact_preferences=preferences)
    CasePersonFactory(case=case, person=victim)
    return case
