"""The public form under pressure: over INTAKE_FORM_RATE a person answers one question and keeps
everything they typed (never a silently dropped report); the address that is counted is the one
TRUSTED_PROXY_COUNT proxies saw, whatever a client writes into X-Forwarded-For; a submission id
reused with other words is refused and logged (IN-04); a database outage keeps the words."""

from __future__ import annotations

import html
import logging
import re
import uuid

import pytest
from django.core import signing
from django.db import OperationalError
from django.test import Client

from cases.models import Case, Report
from intake import human_check
from intake.forms import new_submission_id
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

REPORT_TEXT = "Made-up test report: a neighbour threatened me on the stairs."
REFERENCE = re.compile(r"LNT-\d{4}-\d{6,}")
QUESTION = re.compile(r"What is (\w+) plus (\w+)\?")
NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
PROXY = "10.0.0.2"  # the TLS-terminating proxy: every request's socket address


@pytest.fixture(autouse=True)
def helpline(db: None):
    return OrganisationFactory(kind="helpline", slug="north-helpline", name="North Helpline")


@pytest.fixture(autouse=True)
def _fresh_limits(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"public-report-{uuid.uuid4()}",
        }
    }
    settings.INTAKE_FORM_RATE = "2/h"


def report(**overrides: object) -> dict[str, object]:
    return {"submission_id": new_submission_id(), "what_happened": REPORT_TEXT, **overrides}


def stored(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 303 and response["Location"] == "/report/thanks/"


def question_on(page: str) -> tuple[str, int]:
    """The signed token and the right answer of the question on the page."""
    first, second = QUESTION.search(page).groups()
    token = re.search(r'name="human_check" value="([^"]+)"', page).group(1)
    return token, NUMBERS.index(first) + NUMBERS.index(second)


def test_over_the_limit_a_question_is_asked_and_every_answer_is_kept(client) -> None:
    for _ in range(2):
        assert stored(client.post("/report/", report()))
    typed = report(name="Made-up Name", where="Made-up Street", contact="none")

    asked = client.post("/report/", typed)

    page = asked.content.decode()
    assert asked.status_code == 200
    assert Case.objects.count() == 2  # not stored yet, and not dropped either
    assert html.escape(REPORT_TEXT) in page
    assert 'value="Made-up Name"' in page
    assert 'value="Made-up Street"' in page
    assert f'value="{typed["submission_id"]}"' in page  # the same report when it is sent
    token, answer = question_on(page)
    payload = signing.loads(token, salt=human_check.SALT)
    assert answer not in payload.values()  # the token names no answer
    assert str(answer) not in payload.values()

    answered = client.post("/report/", {**typed, "human_check": token, "human_answer": answer})

    assert stored(answered)
    case = Case.objects.get(reports__source_id=typed["submission_id"])
    assert case.number in client.get("/report/thanks/").content.decode()
    assert case.reports.get().body == REPORT_TEXT


def test_the_answer_may_be_written_as_a_word(client) -> None:
    for _ in range(2):
        client.post("/report/", report())
    typed = report()
    token, answer = question_on(client.post("/report/", typed).content.decode())
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"]  # fmt: skip

    response = client.post(
        "/report/", {**typed, "human_check": token, "human_answer": f" {words[answer].title()} "}
    )
    assert stored(response)


def test_a_wrong_answer_asks_again_and_keeps_the_words(client) -> None:
    for _ in range(2):
        client.post("/report/", report())
    typed = report()
    token, answer = question_on(client.post("/report/", typed).content.decode())

    again = client.post("/report/", {**typed, "human_check": token, "human_answer": answer + 1})

    page = again.content.decode()
    assert again.status_code == 200
    assert "That answer was not right" in page
    assert html.escape(REPORT_TEXT) in page
    assert question_on(page)[0] != token
    assert Case.objects.count() == 2


def test_a_solved_question_stores_only_its_own_report(client) -> None:
    for _ in range(2):
        client.post("/report/", report())
    typed = report()
    token, answer = question_on(client.post("/report/", typed).content.decode())
    assert stored(client.post("/report/", {**typed, "human_check": token, "human_answer": answer}))

    # the same solved question on another report (a new submission id): asked again
    other = report(what_happened="Made-up other words")
    replay = client.post("/report/", {**other, "human_check": token, "human_answer": answer})
    assert replay.status_code == 200
    assert QUESTION.search(replay.content.decode())
    # ...a forged or altered token the same
    forged = client.post("/report/", {**other, "human_check": token + "x", "human_answer": answer})
    assert forged.status_code == 200
    assert Case.objects.count() == 3


def test_a_spoofed_forwarded_for_counts_as_the_address_the_proxy_saw(settings) -> None:
    """Behind one proxy (TRUSTED_PROXY_COUNT=1) the client's address is the rightmost entry, the
    one the proxy appended; whatever the client wrote to its left changes nothing."""
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR=PROXY)
    answers = [
        client.post(
            "/report/",
            report(),
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.{i}, 192.0.2.50",
        )
        for i in range(6)
    ]
    assert [stored(response) for response in answers] == [True, True] + [False] * 4
    assert Case.objects.count() == 2

    # another person behind the same proxy has their own count
    assert stored(client.post("/report/", report(), HTTP_X_FORWARDED_FOR="192.0.2.51"))
    assert Case.objects.count() == 3


def test_without_proxies_the_header_is_not_believed_at_all(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    client = Client(REMOTE_ADDR="192.0.2.60")
    answers = [
        client.post("/report/", report(), HTTP_X_FORWARDED_FOR=f"198.51.100.{i}") for i in range(4)
    ]
    assert [stored(response) for response in answers] == [True, True, False, False]


def test_a_resent_submission_id_with_other_words_is_refused_and_logged(client, caplog) -> None:
    first = report()
    assert stored(client.post("/report/", first))
    for _ in range(3):  # double clicks: the same report, once, and never counted as more
        assert stored(client.post("/report/", first))

    with caplog.at_level(logging.INFO, logger="lantern.security"):
        changed = client.post("/report/", {**first, "what_happened": "Made-up other words"})

    assert changed.status_code == 400
    page = changed.content.decode()
    assert "Made-up other words" in page  # kept for the writer
    assert f'value="{first["submission_id"]}"' not in page  # a new id to send it as a new report
    assert Report.objects.get().body == REPORT_TEXT  # the first is untouched
    security = [r for r in caplog.records if r.name == "lantern.security"]
    assert [r.getMessage() for r in security] == ["public_report_submission_id_reused"]
    assert "Made-up other words" not in caplog.text


def test_database_down_the_reporter_keeps_their_words_and_is_asked_to_retry(
    client, monkeypatch
) -> None:
    def down(**kwargs: object) -> None:
        raise OperationalError("connection refused")

    typed = report(name="Made-up Name", channels=["sms", "email"], contact="allowed",
                   phone="07700 900 982", email="made-up@example.invalid")  # fmt: skip
    monkeypatch.setattr("intake.web.services.receive_web_report", down)

    response = client.post("/report/", typed)

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "try again in a minute" in page
    assert html.escape(REPORT_TEXT) in page
    assert 'name="name" value="Made-up Name"' in page
    assert 'name="channels" value="sms"' in page
    assert 'name="channels" value="email"' in page
    assert not Case.objects.exists()

    # the database is back: the page's own form sends the same report
    monkeypatch.undo()
    resend = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    resend.pop("csrfmiddlewaretoken", None)
    resend["channels"] = ["sms", "email"]
    assert stored(client.post("/report/", {**resend, "what_happened": REPORT_TEXT}))
    case = Case.objects.get(reports__source_id=typed["submission_id"])
    assert case.reports.get().body == REPORT_TEXT
