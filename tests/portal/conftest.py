"""The portal's cast: a verified case whose victim accepted the portal and said texts and email are
safe at any hour, their access, and a browser signed in as them. Every name, number and word is
made up."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from cases.models import Case
from portal import session
from portal.models import PortalAccess
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory
from tests.seeds import reseed

VICTIM_PHONE = "+447700900321"
VICTIM_EMAIL = "victim.portal@example.org"
PREFERENCES = {
    "contact": "allowed",
    "channels": ["sms", "email"],
    "email": VICTIM_EMAIL,
    "updates": True,
    "portal": True,
}


@pytest.fixture(autouse=True)
def _seeded_again_for_transactional_tests(request: pytest.FixtureRequest) -> None:
    """A transactional test (two people at once) runs after the others' flushes: the update
    message types, lookups and articles the portal needs are seeded again (tests.seeds)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        reseed()


@pytest.fixture
def portal_case(helpline, operator) -> Case:
    case = CaseFactory(
        helpline=helpline, status=Case.Status.VERIFIED, claimed_by=operator, channel="sms"
    )
    ReportFactory(case=case, sender=VICTIM_PHONE, body="Made-up report for the portal tests.")
    victim = PersonFactory(
        name="Portal Testvictim", phone=VICTIM_PHONE, contact_preferences=dict(PREFERENCES)
    )
    CasePersonFactory(case=case, person=victim)
    return case


@pytest.fixture
def portal_access(portal_case) -> PortalAccess:
    return PortalAccess.objects.create(case=portal_case)


def sign_in_as(client: Client, access: PortalAccess, *, decoy: bool = False) -> Client:
    """A browser signed in to the portal as the access's victim (without the code step, which
    tests/portal/test_sign_in.py covers)."""
    store = client.session
    store[session.KEY] = {"access": access.pk, "decoy": decoy, "seen": time.time()}
    store.set_expiry(0)
    store.save()
    return client


@pytest.fixture
def victim_client(client: Client, portal_access: PortalAccess) -> Client:
    return sign_in_as(client, portal_access)
