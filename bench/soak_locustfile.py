"""The soak's mixed load (bench/soak.py starts locust with this file; never run on its own).

Who does what, made-up data only: Twilio sends signed SMS (some retried on purpose) and calls;
people send the public form (some press Send twice); operators take the next case, open it, verify
it and refer it to a CSO; CSO representatives accept referrals and log services; monitors read the
dashboard and the reports page. Staff carry the 2FA-verified sessions and API tokens bench/soak.py
made. The soak reads its settings from the JSON file named by LANTERN_SOAK_CONFIG and, at the end,
writes what it sent and what was acknowledged to LANTERN_SOAK_LEDGER, so bench/soak.py can count
the database against it."""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import time
import uuid
from datetime import UTC, datetime
from itertools import count
from urllib.parse import urlencode

from locust import HttpUser, between, events, task
from locust.clients import HttpSession
from twilio.request_validator import RequestValidator

CONFIG = json.loads(open(os.environ["LANTERN_SOAK_CONFIG"]).read())  # noqa: SIM115, PTH123
# what the servers acknowledged (source ids), by channel; bench/soak.py checks each is stored once
LEDGER: dict[str, list[str]] = {"sms": [], "voice": [], "web": [], "retried": []}
SENDERS = count()
# deploy/nginx.conf drops an upstream connection idle for 4 s, before gunicorn does at 5 s, so no
# request is ever sent down a connection gunicorn is closing; this client, talking to gunicorn
# directly, does the same with a margin for a busy machine delaying its greenlets.
IDLE_REUSE_LIMIT = 3.0
HIDDEN = r'name="{}" value="([^"]+)"'


@events.quitting.add_listener
def write_ledger(**_: object) -> None:
    with open(os.environ["LANTERN_SOAK_LEDGER"], "w") as ledger:  # noqa: PTH123
        json.dump(LEDGER, ledger)


def cookie_header(name: str, value: str) -> dict[str, str]:
    # The servers run with DEBUG off, so their cookies are Secure (__Host-): a client on plain
    # loopback HTTP would never send them back by itself.
    return {"Cookie": f"{name}={value}"}


def set_cookie(response, suffix: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(name, value) of the cookie the response set whose name ends with `suffix` (with or
    without the __Host- prefix)."""
    cookies = response.cookies.get_dict()
    name = next(name for name in cookies if name.endswith(suffix))
    return name, cookies[name]


def expect(response, *codes: int) -> None:  # type: ignore[no-untyped-def]
    """Anything but the expected answers is an error in locust's table."""
    if response.status_code in codes:
        response.success()
    else:
        response.failure(f"status {response.status_code}")


class NoStaleConnections(HttpSession):
    """A connection idle for IDLE_REUSE_LIMIT is not reused: the next request opens a new one."""

    last_answer = 0.0

    def request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if time.monotonic() - self.last_answer > IDLE_REUSE_LIMIT:
            self.close()  # the pools are emptied; requests opens new ones on demand
        try:
            return super().request(*args, **kwargs)
        finally:
            self.last_answer = time.monotonic()


class Client(HttpUser):
    abstract = True

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.client = NoStaleConnections(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )
        self.client.trust_env = False


class Twilio(Client):
    """Inbound SMS and calls, signed like Twilio's, from senders in Ofcom's drama range."""

    fixed_count = CONFIG["users"]["twilio"]
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.sent: list[dict[str, str]] = []

    def post_signed(self, path: str, params: dict[str, str], name: str) -> bool:
        signature = RequestValidator(CONFIG["twilio_token"]).compute_signature(
            self.host + path, params
        )
        headers = {"X-Twilio-Signature": signature,
                   "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
        with self.client.post(path, data=urlencode(params), headers=headers, name=name,
                              catch_response=True) as response:  # fmt: skip
            expect(response, 200)
            return response.status_code == 200

    def sender(self) -> str:
        return f"+447700900{next(SENDERS) % 1000:03d}"

    @task(8)
    def sms(self) -> None:
        params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": self.sender(),
                  "To": CONFIG["helpline_number"], "Body": "Made-up soak message"}  # fmt: skip
        if self.post_signed("/intake/twilio/sms/", params, "sms webhook"):
            LEDGER["sms"].append(params["MessageSid"])
            self.sent.append(params)

    @task(2)
    def sms_retry(self) -> None:
        """Twilio retries a message it thinks went unanswered: the same request, byte for byte."""
        if not self.sent:
            return
        params = random.choice(self.sent)
        if self.post_signed("/intake/twilio/sms/", params, "sms retry"):
            LEDGER["retried"].append(params["MessageSid"])

    @task(1)
    def call(self) -> None:
        params = {"CallSid": "CA" + uuid.uuid4().hex, "From": self.sender(),
                  "To": CONFIG["helpline_number"], "CallStatus": "ringing"}  # fmt: skip
        if self.post_signed("/intake/twilio/voice/", params, "voice webhook"):
            LEDGER["voice"].append(params["CallSid"])


class Reporter(Client):
    """Someone sending the public form: opens it, writes, sends; now and then presses Send twice."""

    fixed_count = CONFIG["users"]["reporter"]
    wait_time = between(1, 3)

    @task
    def report(self) -> None:
        self.client.cookies.clear()
        form = self.client.get("/report/", name="report form")
        if form.status_code != 200:
            return  # counted as a failure by locust
        headers = cookie_header(*set_cookie(form, "csrftoken"))
        data = {
            "csrfmiddlewaretoken": re.search(HIDDEN.format("csrfmiddlewaretoken"), form.text)[1],
            "submission_id": re.search(HIDDEN.format("submission_id"), form.text)[1],
            "what_happened": "Made-up soak report " + secrets.token_hex(4),
        }
        for attempt in range(2 if random.random() < 0.2 else 1):
            with self.client.post("/report/", data=data, headers=headers, allow_redirects=False,
                                  name="report send", catch_response=True) as sent:  # fmt: skip
                expect(sent, 303)
            if sent.status_code != 303:
                return
            if attempt == 0:
                LEDGER["web"].append(data["submission_id"])
        self.client.get("/report/thanks/", name="report thanks",
                        headers=cookie_header(*set_cookie(sent, "sessionid")))  # fmt: skip


class Staff(Client):
    abstract = True
    role = ""

    def on_start(self) -> None:
        me = CONFIG["staff"][self.role][next(STAFF[self.role]) % len(CONFIG["staff"][self.role])]
        self.page_headers = cookie_header(*me["session"])
        self.api_headers = {"Authorization": f"Token {me['token']}"}

    def page(self, path: str, name: str) -> None:
        self.client.get(path, headers=self.page_headers, name=name)

    def api(self, method: str, path: str, name: str, *codes: int, body=None):  # type: ignore[no-untyped-def]
        with self.client.request(method, "/api/v1/" + path, json=body, headers=self.api_headers,
                                 name=name, catch_response=True) as response:  # fmt: skip
            expect(response, *codes)
            return response


STAFF = {"operator": count(), "cso": count(), "monitor": count()}


class Operator(Staff):
    """Works the queue: the next case, its page, verified, referred to the CSO."""

    fixed_count = CONFIG["users"]["operator"]
    wait_time = between(1, 3)
    role = "operator"

    @task(1)
    def queue(self) -> None:
        self.page("/console/", "console")

    @task(3)
    def work_next(self) -> None:
        taken = self.api("POST", "cases/take-next/", "api take-next", 200, 204)
        if taken.status_code != 200:
            return
        number = taken.json()["number"]
        self.page(f"/cases/{number}/", "case page")
        verification = {"category": CONFIG["category"], "priority": "standard"}
        self.api("POST", f"cases/{number}/verify/", "api verify", 200, body=verification)
        referral = {"organisation": CONFIG["cso"], "reason": "Made-up soak referral",
                    "consent": True}  # fmt: skip
        self.api("POST", f"cases/{number}/referrals/", "api refer", 201, 200, body=referral)


class Cso(Staff):
    """Answers referrals to the organisation and logs services on the cases it works."""

    fixed_count = CONFIG["users"]["cso"]
    wait_time = between(1, 3)
    role = "cso"

    @task(1)
    def workspace(self) -> None:
        self.page("/casework/", "casework")

    @task(2)
    def accept(self) -> None:
        numbers = self.case_numbers("referred")
        if not numbers:
            return
        number = random.choice(numbers)
        case = self.api("GET", f"cases/{number}/", "api case", 200).json()
        for referral in case["referrals"]:
            if referral["status"] == "pending" and referral["organisation"] == CONFIG["cso"]:
                # two representatives may answer the same referral at once: one wins, one is told
                answer = self.api("POST", f"referrals/{referral['id']}/accept/", "api accept",
                                  200, 409)  # fmt: skip
                if answer.status_code == 200:
                    self.log(number)

    @task(3)
    def log_service(self) -> None:
        numbers = self.case_numbers("in_service")
        if numbers:
            number = random.choice(numbers)
            self.page(f"/cases/{number}/", "case page")
            self.log(number)

    def log(self, number: str) -> None:
        service = {"service_type": CONFIG["service_type"], "duration_minutes": 30,
                   "provided_at": datetime.now(UTC).isoformat(), "notes": "Made-up soak service"}  # fmt: skip
        self.api("POST", f"cases/{number}/services/", "api service", 201, body=service)

    def case_numbers(self, status: str) -> list[str]:
        answer = self.api("GET", f"cases/?status={status}", "api cases", 200)
        return [case["number"] for case in answer.json()["results"]] if answer.ok else []


class Monitor(Staff):
    fixed_count = CONFIG["users"]["monitor"]
    wait_time = between(2, 5)
    role = "monitor"

    @task(3)
    def dashboard(self) -> None:
        self.page("/dashboards/", "dashboard")
        self.page("/dashboards/tiles/", "dashboard tiles")

    @task(1)
    def reports(self) -> None:
        self.page("/dashboards/reports/", "reports page")
