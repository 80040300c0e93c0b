"""The partner tests' world: a made-up force's crime system with a known secret, a case holding its
crime number whose victim asked for updates, signed posts of events, and a loopback receiver (a
real HTTP server in a thread) that checks our webhooks' signatures as a partner would."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.test import Client

from cases.models import Case, ReferenceType
from cases.references import add_reference
from feeds.models import Partner
from portal.models import PortalAccess
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory

SECRET = "made-up-partner-secret-for-tests-only-0123456789"
CRIME_REFERENCE = "CL/17/000123"
VICTIM_PHONE = "+447700900456"
# Made-up canary: found in anything sent to a partner, it means a victim's words leaked.
CANARY = "CANARY-5e1d he follows me to the station. Made-up test text."
EVENTS_URL = "/api/v1/partner/events/"
ALLOWED = {"contact": "allowed", "channels": ["sms"], "updates": True}


def make_partner(
    helpline: Any, *, slug: str = "city-police", url: str = "", **extra: Any
) -> Partner:
    return Partner.objects.create(
        slug=slug, name="City Police crime system", helpline=helpline, secret=SECRET, url=url,
        **extra,
    )  # fmt: skip


def case_with_victim(helpline: Any, preferences: dict[str, Any] | None = None) -> Case:
    """A case whose victim may sign in to the portal, where their updates are (portal.updates:
    without an access they would be told of nothing)."""
    case = CaseFactory(helpline=helpline)
    ReportFactory(case=case, body=CANARY, sender=VICTIM_PHONE)
    victim = PersonFactory(
        name="Made-up Victim",
        phone=VICTIM_PHONE,
        # they said yes to the portal, whose access the updates are read in
        contact_preferences={**(ALLOWED if preferences is None else preferences), "portal": True},
    )
    CasePersonFactory(case=case, person=victim)
    PortalAccess.objects.create(case=case)
    return case


# What migrations seed and these tests read: the crime-number reference type, the default event
# types and the update message types made for them (after the event types: it reads them). A transactional test runs after others have flushed the
# database (pytest-django runs those last), so it seeds them again itself.
SEEDS = (
    "cases.migrations.0016_seed_record_lookups",
    "feeds.migrations.0002_default_partner_event_types",
    "portal.migrations.0003_update_types",
)


def seed_again() -> None:
    from django.apps import apps

    for migration in SEEDS:
        importlib.import_module(migration).seed(apps, None)


def give_crime_number(case: Case, actor: Any, value: str = CRIME_REFERENCE) -> None:
    add_reference(
        actor=actor,
        kind=ReferenceType.objects.get(code="crime_number"),
        value=value,
        reason="Crime number from the officer",
        case=case,
    )


def signature(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_body(event_id: str = "evt-1", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": event_id,
        "type": "suspect_charged",
        "crime_reference": CRIME_REFERENCE,
        "occurred_at": "2026-11-30T14:05:00+00:00",
        "data": {"officer_note": "made-up note"},
    }
    body.update(fields)
    return body


def post_event(
    client: Client,
    body: dict[str, Any] | bytes,
    *,
    slug: str = "city-police",
    secret: str = SECRET,
    sign_with: str | None = None,
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-Lantern-Partner": slug}
    if secret:
        headers["X-Lantern-Signature"] = sign_with or signature(raw, secret)
    return client.post(EVENTS_URL, raw, content_type="application/json", headers=headers)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class LoopbackReceiver:
    """A partner's webhook endpoint on 127.0.0.1: records each request, checks its signature with
    the partner's secret, and answers with the next status in `answers` (200 once they run out)."""

    secret: str = SECRET
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        given = headers.get("X-Lantern-Signature", "")
        signed = hmac.compare_digest(given, signature(body, self.secret))
        self.received.append(Received(path, headers, body, signed))
        return self.answers.pop(0) if self.answers else 200


@contextmanager
def loopback_receiver(secret: str = SECRET) -> Iterator[LoopbackReceiver]:
    receiver = LoopbackReceiver(secret=secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = receiver.answer(self.path, dict(self.headers), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/lantern/webhooks/"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
