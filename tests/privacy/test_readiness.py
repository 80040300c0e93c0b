"""Readiness tells the truth about the keys (SECURITY DP-02): with a key list that opens nothing
stored, `/healthz/?ready` is a 503 that names no data; plain liveness stays cheap and ok."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.test import Client

from tests.factories import CaseFactory


def test_a_key_that_opens_nothing_makes_readiness_fail(helpline, settings) -> None:
    CaseFactory(helpline=helpline, incident_description="Made-up words, encrypted")
    assert Client().get("/healthz/?ready").json() == {"status": "ok"}

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    ready = Client().get("/healthz/?ready")
    assert ready.status_code == 503
    assert ready.json() == {"status": "error", "problem": "keys"}
    assert Client().get("/healthz/").status_code == 200  # liveness does not read data
