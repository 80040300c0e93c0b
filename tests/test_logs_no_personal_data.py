"""Nothing about the people in a case reaches a log line (DESIGN rule 9, SECURITY DP-05).

The real server, started as production starts it (the Dockerfile's CMD, bin/serve-http), takes a victim's SMS
and web report, a member of staff signing in, searching by phone and name in the pages and the
API, opening the case and its recording, typing a phone number into a URL, a password reset by
email and its link, a sign-in with an email as the username. Everything the process writes
(gunicorn's own lines, Lantern's structured log at INFO, errors) goes to one file, and no line of it
may hold any canary: names, phone numbers in every spelling, email, report text, the reset token,
the provider's recording URL.
"""

from __future__ import annotations

import io
import logging
import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
import structlog
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cases.models import Case, Report
from project.logging import formatter
from tests.e2e.canaries import describe, leaks, spellings
from tests.factories import TEST_PASSWORD, ReportFactory
from tests.launchers import LaunchedServeHttp
from tests.servers import running, send, sign_in, signed_request
from tests.test_security_headers import _server_env
from tests.twilio import AUTH_TOKEN, sms_params

NAME = "Zephyrine Quillfeather"
PHONE = "+447700900731"  # Ofcom's drama range
EMAIL = "zephyrine.quill@example.net"
STORY = "marmalade lighthouse"
RECORDING_SID = "RE" + uuid.uuid4().hex
CANARIES = [
    *NAME.split(),
    *spellings(PHONE),
    EMAIL,
    quote(EMAIL, safe=""),
    "zephyrine.quill",
    *STORY.split(),
    RECORDING_SID,
]


@pytest.fixture
def written(settings, request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """What the project's one formatter writes for the loggers used here, in JSON (production)
    or as console lines (make run)."""
    settings.LOG_JSON = request.param
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter())
    loggers = [logging.getLogger(name) for name in ("django", "lantern.test")]
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.mark.parametrize("written", [True, False], indirect=True, ids=["json", "console"])
def test_django_and_request_lines_name_the_url_pattern_not_the_path(written: io.StringIO) -> None:
    logging.getLogger("django.request").error("%s: %s", "Not Found", f"/cases/{PHONE}/")
    logging.getLogger("django.security.csrf").warning(
        "Forbidden (%s): %s", "CSRF token missing", "/accounts/password/reset/MQ/cz6-4f1e2b/"
    )
    structlog.get_logger("lantern.test").info(
        "request_finished", request=f"GET /api/v1/cases/?search={quote(NAME)}", code=200
    )
    # daphne's own warning names the request by its repr
    logging.getLogger("lantern.test").warning(
        "Application instance %r for connection %s took too long to shut down and was killed.",
        "<Task pending>",
        "<WebRequest at 0x7f method=GET uri=/accounts/password/reset/MQ/cz6-4f1e2b/ clientproto=1.1>",
    )
    text = written.getvalue()
    assert "Not Found: /cases/<number>/" in text
    assert "/accounts/password/reset/<uidb64>/<token>/" in text
    assert "GET /api/v1/cases/" in text
    assert "uri=/accounts/password/reset/<uidb64>/<token>/ clientproto" in text
    for canary in (PHONE, "cz6-4f1e2b", "Zephyrine", "search="):
        assert canary not in text


@pytest.mark.parametrize("written", [True, False], indirect=True, ids=["json", "console"])
def test_tracebacks_carry_no_local_variables_and_no_numbers(written: io.StringIO) -> None:
    def fails(victim_name: str) -> None:
        raise ValueError(f"no route for {PHONE} or {EMAIL}")

    for log in (
        logging.getLogger("lantern.test").exception,
        structlog.get_logger("lantern.test").exception,
    ):
        try:
            fails(NAME)
        except ValueError:
            log("delivery_failed")
    text = written.getvalue()
    assert text.count("Traceback") == 2  # the traceback is there...
    assert "ValueError" in text
    for canary in (NAME, PHONE, EMAIL):
        assert canary not in text  # ...without the locals a pretty traceback shows, and scrubbed


@pytest.fixture
def server(operator, settings):  # type: ignore[no-untyped-def]
    env = {
        **_server_env(),
        # The test settings only for the factories' fast password hasher; logging is base.py's.
        "DJANGO_SETTINGS_MODULE": "project.settings.test",
        "LOG_LEVEL": "INFO",
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "BLIND_INDEX_KEY": settings.BLIND_INDEX_KEY,
        "AUDIT_CHAIN_KEY": settings.AUDIT_CHAIN_KEY,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_MEDIA_HOSTS": "127.0.0.1",  # nothing listens on 443: the fetch fails at once
    }
    with running(LaunchedServeHttp(env=env)) as (launched,):
        yield launched


def _csrf(session: requests.Session) -> str:
    return session.cookies[settings.CSRF_COOKIE_NAME]


def _victim_reports(base: str) -> Case:
    sid = "SM" + uuid.uuid4().hex
    params = sms_params(sid, sender=PHONE, body=f"{NAME} here, {STORY}, email {EMAIL}")
    assert send(signed_request(base, "/intake/twilio/sms/", params, AUTH_TOKEN)) == 200
    form = requests.Session()
    page = form.get(f"{base}/report/")
    submission_id = re.search(r'name="submission_id" value="([^"]+)"', page.text).group(1)
    form.post(
        f"{base}/report/",
        data={
            "csrfmiddlewaretoken": _csrf(form),
            "submission_id": submission_id,
            "what_happened": f"{STORY}. I am {NAME}, call {PHONE} or write to {EMAIL}",
            "name": NAME,
            "phone": PHONE,
            "email": EMAIL,
        },
    )
    return Report.objects.get(source_id=sid).case


def _staff_works_the_case(base: str, operator, case: Case) -> None:  # type: ignore[no-untyped-def]
    staff = requests.Session()
    sign_in(staff, base, operator, TEST_PASSWORD)
    headers = {"X-CSRFToken": _csrf(staff), "Referer": f"{base}/cases/"}
    for q in (PHONE, "07700 900731", NAME, EMAIL, STORY):
        staff.get(f"{base}/cases/", params={"q": q})
        staff.post(f"{base}/cases/", data={"q": q}, headers=headers)
        staff.get(f"{base}/api/v1/cases/", params={"search": q, "q": q})
    assert staff.get(f"{base}/cases/{case.number}/").status_code == 200
    recording = ReportFactory(
        case=case,
        channel=Case.Channel.VOICE,
        sender=PHONE,
        recording_url=f"https://127.0.0.1/2010-04-01/Accounts/AC{'0' * 32}/Recordings/{RECORDING_SID}",
    )
    staff.get(f"{base}/cases/{case.number}/recordings/{recording.pk}/")
    for typed in (PHONE, "07700900731", EMAIL, NAME):
        staff.get(f"{base}/cases/{quote(typed)}/")
        staff.get(f"{base}/api/v1/cases/{quote(typed)}/")


def _password_reset(base: str, operator) -> str:  # type: ignore[no-untyped-def]
    browser = requests.Session()
    browser.get(f"{base}/accounts/password/reset/")
    for email in (EMAIL, operator.email):
        browser.post(
            f"{base}/accounts/password/reset/",
            data={"csrfmiddlewaretoken": _csrf(browser), "email": email},
        )
    token = default_token_generator.make_token(operator)
    uid = urlsafe_base64_encode(force_bytes(operator.pk))
    landed = browser.get(f"{base}/accounts/password/reset/{uid}/{token}/")
    assert landed.status_code == 200, "the link must be one the server accepts"
    guess = requests.Session()
    guess.get(f"{base}/accounts/login/")
    guess.post(
        f"{base}/accounts/login/",
        data={
            "csrfmiddlewaretoken": _csrf(guess),
            "login_view-current_step": "auth",
            "auth-username": EMAIL,
            "auth-password": PHONE,
        },
    )
    return token


@pytest.mark.django_db(transaction=True)
def test_no_log_line_holds_anything_about_a_person(server: LaunchedServeHttp, operator) -> None:
    base = server.base_url
    case = _victim_reports(base)
    _staff_works_the_case(base, operator, case)
    token = _password_reset(base, operator)

    log = server.log()
    lines = log.splitlines()
    # The log is really there: one access line per request, paths reduced to ids.
    assert sum("request_finished" in line for line in lines) >= 30, log[-3000:]
    assert "/accounts/password/reset/<uidb64>/<token>/" in log
    assert f"/cases/{case.number}/" in log
    found = leaks(lines, [*CANARIES, token, operator.email])
    assert not found, describe(found)


def test_the_worker_logs_through_the_same_redaction() -> None:
    """What a Celery worker (and beat) does at start, `app.log.setup`, keeps Lantern's logging:
    Celery's own formatter would print a failing task's message and Django's paths as they are."""
    import os
    import subprocess
    import sys

    from tests.servers import ROOT

    code = (
        "import django, logging; django.setup()\n"
        "from project.celery import app\n"
        "app.log.setup(loglevel='INFO', redirect_stdouts=False)\n"
        "logging.getLogger('celery.app.trace').error("
        f"'Task %s raised unexpected: %r', 'x', ValueError('no route to {PHONE}'))\n"
        f"logging.getLogger('django.request').error('%s: %s', 'Not Found', '/cases/{PHONE}/')\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings.base"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    written = result.stdout + result.stderr
    assert "Not Found: /cases/<number>/" in written
    assert "Task x raised unexpected" in written
    assert PHONE not in written
