"""A stand-in for Twilio's Calls REST endpoint on loopback, driven by the real twilio Client (which
TWILIO_API_BASE_URL points here), for the call-back tests; and its own check that it refuses what
Twilio would refuse, so a test that passes against it passed against something that can say no."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from django.conf import settings as django_settings

from accounts.models import User
from cases.models import Case
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, StaffFactory
from tests.servers import free_port


@dataclass
class PlacedCall:
    """One POST to the Calls endpoint, as the provider saw it."""

    authorised: bool
    to: str
    from_: str
    url: str
    status_callback: str
    timeout: str
    idempotency_key: str
    sid: str = ""


class CallsFake:
    """`POST /2010-04-01/Accounts/{sid}/Calls.json` on 127.0.0.1: checks HTTP Basic auth, records
    each request and answers 201 with a call resource, unless scripted to fail (`fail_next`)."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.requests: list[PlacedCall] = []
        self.failures: list[tuple[int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, body = fake._answer(self, form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def placed(self) -> list[PlacedCall]:
        return [r for r in self.requests if r.sid]

    def fail_next(self, status: int = 400, code: int = 21211) -> None:
        with self._lock:
            self.failures.append((status, {"code": code, "message": "Refused", "status": status}))

    def _answer(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> tuple[int, dict]:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = PlacedCall(
            authorised=secrets.compare_digest(
                handler.headers.get("Authorization", ""), f"Basic {expected}"
            ),
            to=form.get("To", ""),
            from_=form.get("From", ""),
            url=form.get("Url", ""),
            status_callback=form.get("StatusCallback", ""),
            timeout=form.get("Timeout", ""),
            idempotency_key=handler.headers.get("I-Twilio-Idempotency-Token", ""),
        )
        with self._lock:
            self.requests.append(request)
            failure = self.failures.pop(0) if self.failures and request.authorised else None
        if handler.path != f"/2010-04-01/Accounts/{self.account_sid}/Calls.json":
            return 404, {"code": 20404, "message": "Not found", "status": 404}
        if not request.authorised:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if not (request.to and request.from_ and request.url):
            return 400, {"code": 21201, "message": "Missing parameter", "status": 400}
        if failure is not None:
            return failure
        request.sid = "CA" + secrets.token_hex(16)
        return 201, {"sid": request.sid, "account_sid": self.account_sid, "status": "queued",
                     "to": request.to, "from": request.from_, "direction": "outbound-api"}  # fmt: skip

    def start(self) -> CallsFake:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def calls_fake(account_sid: str, auth_token: str) -> Iterator[CallsFake]:
    fake = CallsFake(account_sid, auth_token).start()
    try:
        yield fake
    finally:
        fake.stop()


def test_the_stand_in_refuses_what_twilio_would() -> None:
    with calls_fake("AC" + "1" * 32, "token") as fake:
        url = f"{fake.base_url}/2010-04-01/Accounts/{'AC' + '1' * 32}/Calls.json"
        form = {"To": "+447700900111", "From": "+447700900000", "Url": "https://x.invalid/"}
        assert (
            requests.post(url, data=form, auth=("AC" + "1" * 32, "wrong"), timeout=5).status_code
            == 401
        )
        assert (
            requests.post(
                url, data={"To": "+1"}, auth=("AC" + "1" * 32, "token"), timeout=5
            ).status_code
            == 400
        )
        fake.fail_next(400, 21211)
        assert (
            requests.post(url, data=form, auth=("AC" + "1" * 32, "token"), timeout=5).status_code
            == 400
        )
        answer = requests.post(url, data=form, auth=("AC" + "1" * 32, "token"), timeout=5)
        assert answer.status_code == 201
        assert answer.json()["sid"].startswith("CA")
        assert [r.sid != "" for r in fake.requests] == [False, False, False, True]


# The call-back tests' world ----------------------------------------------------------------------

HELPLINE_NUMBER = "+447700900000"
OPERATOR_PHONE = "+447700900111"
VICTIM_PHONE = "+447700900456"
VICTIM_NAME = "Zephyrine Callbackfield"  # a made-up canary: never in a log, a URL or an event
# Said phone calls are safe, at any hour; the organisation may be named.
PHONE_OK = {"contact": "allowed", "channels": ["phone", "sms"]}


@pytest.fixture
def twilio_calls(settings) -> Iterator[CallsFake]:
    """The real twilio Client, pointed at the Calls stand-in on loopback."""
    with calls_fake(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN) as fake:
        settings.TWILIO_API_BASE_URL = fake.base_url
        yield fake


@pytest.fixture
def caller(helpline) -> User:
    """An operator of the helpline with a phone of their own."""
    helpline.phone_number = HELPLINE_NUMBER
    helpline.save()
    return StaffFactory(username="callie", organisation=helpline, role=User.Role.OPERATOR,
                        phone=OPERATOR_PHONE)  # fmt: skip


@pytest.fixture
def victim_case(helpline) -> Case:
    """A case on the helpline whose victim said phone calls are safe at any hour."""
    case = CaseFactory(helpline=helpline)
    victim = PersonFactory(name=VICTIM_NAME, phone=VICTIM_PHONE, contact_preferences=PHONE_OK)
    CasePersonFactory(case=case, person=victim)
    return case


def set_preferences(case: Case, prefs: dict | None, *, phone: str = VICTIM_PHONE) -> None:
    person = case.people.get(role="victim").person
    person.contact_preferences, person.phone = prefs or {}, phone
    person.save()


def public_url(path: str) -> str:
    return django_settings.PUBLIC_BASE_URL + path
