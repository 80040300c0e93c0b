"""Stand-ins for the providers, on loopback only: Twilio's Messages REST endpoint (driven by the
real twilio Client, which a base-URL setting points here) and an SMTP server (aiosmtpd). They
record what reached them, so a test can count sends as the provider would."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller

from tests.servers import free_port

IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
JSON = "application/json"
HOLD_SECONDS = (
    60  # a held request is answered after this at the latest, so no thread outlives a test
)


@dataclass
class TwilioRequest:
    """One POST to the Messages endpoint, as the provider saw it."""

    path: str
    authorised: bool
    to: str
    from_: str
    body: str
    status_callback: str
    idempotency_key: str
    answered: int = 0  # the HTTP status it got (0 while held or if the caller went away)
    sid: str = ""  # the message sid, when it was accepted


@dataclass
class _Script:
    # (HTTP status, body: a JSON object or raw text, Content-Type)
    failures: list[tuple[int, dict[str, Any] | str, str]] = field(default_factory=list)
    hold: bool = False
    before_answer: Callable[[TwilioRequest], None] | None = None


class TwilioFake:
    """Twilio's `POST /2010-04-01/Accounts/{sid}/Messages.json` on 127.0.0.1. It checks HTTP Basic
    auth, records every request, and answers 201 with a message resource shaped like Twilio's,
    unless scripted to fail (`fail_next`, `refuse_next`) or to hold requests (`hold`) as a provider
    that has a message but has not answered yet."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[TwilioRequest] = []
        self._script = _Script()
        self._lock = threading.Condition()
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    # scripting ------------------------------------------------------------------------------------

    def fail_next(self, times: int, status: int = 500) -> None:
        """The next `times` sends get `status` (a server error by default): nothing accepted."""
        error = {"code": 20500, "message": "Internal Server Error", "status": status}
        with self._lock:
            self._script.failures += [(status, error, JSON)] * times

    def refuse_next(self, code: int = 21211, status: int = 400) -> None:
        """The next send is refused with a Twilio error code (21211: not a valid phone number)."""
        error = {
            "code": code,
            "message": "The 'To' number is not a valid phone number.",
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        self.answer_next(status, error)

    def answer_next(self, status: int, body: dict[str, Any] | str, content_type: str = "") -> None:
        """The next send is answered `status` with this body, whatever its shape (Twilio's newer
        APIs answer errors as {"error": {...}} or RFC 9457 problem+json; a proxy in front of it
        may answer HTML). Nothing is accepted."""
        with self._lock:
            self._script.failures.append((status, body, content_type or JSON))

    def hold(self) -> None:
        """From now on each request is recorded (so it counts as reaching the provider) and then
        not answered until `release()`."""
        self._released.clear()
        self._script.hold = True

    def release(self) -> None:
        self._script.hold = False
        self._released.set()

    def before_answer(self, hook: Callable[[TwilioRequest], None] | None) -> None:
        """Run `hook` after a send is accepted and before the answer leaves (a delivery report
        that overtakes the API's answer)."""
        self._script.before_answer = hook

    # observing ------------------------------------------------------------------------------------

    @property
    def accepted(self) -> list[TwilioRequest]:
        return [r for r in self.requests if r.sid]

    def wait_for_requests(self, count: int, timeout: float = 30) -> list[TwilioRequest]:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"{count} request(s) expected, {len(self.requests)} arrived")
            return list(self.requests)

    # the server -----------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output clean

            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake._answer(self, form)

        return Handler

    def _authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return secrets.compare_digest(header, f"Basic {expected}")

    def _answer(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        request = TwilioRequest(
            path=handler.path,
            authorised=self._authorised(handler.headers.get("Authorization", "")),
            to=form.get("To", ""),
            from_=form.get("From", ""),
            body=form.get("Body", ""),
            status_callback=form.get("StatusCallback", ""),
            idempotency_key=handler.headers.get(IDEMPOTENCY_HEADER, ""),
        )
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()
            scripted = self._script.failures
            failure = scripted.pop(0) if scripted and request.authorised else None
        content_type = JSON
        if handler.path != path:
            status, payload = 404, {"code": 20404, "message": "Not found", "status": 404}
        elif not request.authorised:
            status, payload = 401, {"code": 20003, "message": "Authenticate", "status": 401}
        elif failure is not None:
            status, payload, content_type = failure
        else:
            request.sid = "SM" + secrets.token_hex(16)
            status, payload = 201, self._message(request)
        if self._script.hold:
            self._released.wait(HOLD_SECONDS)
        if status == 201 and self._script.before_answer is not None:
            self._script.before_answer(request)
        request.answered = status
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the caller died or gave up while the request was held
            request.answered = 0

    def _message(self, request: TwilioRequest) -> dict[str, Any]:
        now = format_datetime(datetime.now(UTC), usegmt=True)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{request.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": request.body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": request.from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": request.sid,
            "status": "queued",
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
            "to": request.to,
            "uri": f"{uri}.json",
        }

    # lifetime -------------------------------------------------------------------------------------

    def start(self) -> TwilioFake:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.release()  # held handlers answer (to nobody, usually) and end
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def twilio_fake(account_sid: str, auth_token: str) -> Iterator[TwilioFake]:
    fake = TwilioFake(account_sid, auth_token).start()
    try:
        yield fake
    finally:
        fake.stop()


# SMTP ---------------------------------------------------------------------------------------------


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.raw.append(envelope.original_content or envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
        )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    collector: _Collector

    @property
    def messages(self) -> list[EmailMessage]:
        return self.collector.messages

    @property
    def raw(self) -> list[bytes]:
        return self.collector.raw

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        return self.collector.envelopes


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, keeping every message it is given."""
    collector = _Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, collector)
    finally:
        controller.stop()
