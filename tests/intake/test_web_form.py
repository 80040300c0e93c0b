"""The public report form (CONTRACT "Public web form", UX.md 5e, SECURITY IN-04): a valid report is
one case, an invalid one stores nothing, spam is dropped without telling anyone, and nothing about
the page leaks to other sites, caches or logs. All people and numbers here are made up."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import Organisation
from cases.models import Case, CasePerson, Category, Person, Report
from intake.forms import SUBMISSION_ID, new_submission_id
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

REPORT_TEXT = "Made-up test report: my partner shouted and pushed me in the kitchen."
QUICK_EXIT = "https://www.bbc.co.uk/weather"
ERROR_SUMMARY = 'class="public-error-summary" role="alert"'
RECEIVED = "We have received your message"
REFERENCE = re.compile(r"LNT-\d{4}-\d{6,}")
T = TypeVar("T")


@pytest.fixture(autouse=True)
def helpline(db: None) -> Organisation:
    """helpline_for() picks the only active helpline."""
    return OrganisationFactory(kind="helpline", slug="north-helpline", name="North Helpline")


@pytest.fixture(autouse=True)
def _fresh_rate_limit_cache(settings) -> None:
    # Each test counts from zero, whichever cache (Redis in CI) the settings name.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"public-report-{uuid.uuid4()}",
        }
    }


def report_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {"submission_id": new_submission_id(), "what_happened": REPORT_TEXT}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def thanks_page(client: Client, response) -> str:
    assert response.status_code == 303
    assert response["Location"] == "/report/thanks/"
    return client.get(response["Location"]).content.decode()


def victim_of(case: Case) -> Person:
    return CasePerson.objects.get(case=case, role=CasePerson.Role.VICTIM).person


def nothing_stored() -> bool:
    return not (Case.objects.exists() or Report.objects.exists() or Person.objects.exists())


# A good report --------------------------------------------------------------------------------------


def test_get_shows_an_empty_form_with_a_fresh_submission_id(client) -> None:
    response = client.get("/report/")
    html = response.content.decode()
    assert response.status_code == 200
    ids = re.findall(r'name="submission_id" value="([^"]+)"', html)
    assert len(ids) == 1
    assert SUBMISSION_ID.fullmatch(ids[0])
    assert ids[0] not in client.get("/report/").content.decode()  # a new one each time
    assert " checked" not in html  # no answer is pre-ticked: by default, no contact
    assert "Physical violence" in html  # categories by label
    assert "<title>Get help</title>" in html


WISHES = {
    "contact": "allowed",
    "channels": ["phone", "email"],
    "no_voicemail": True,
    "no_text": True,
    "no_org_name": False,
    "updates": False,
    "portal": False,
    "safe_from": "",
    "safe_until": "",
    "language": "en",
    "safe_times": "Weekdays 10am to 2pm",
    "email": "testperson@example.invalid",
}
ALL_OF_IT = {
    "where": "At home",
    "category": "physical",
    "safe_now": "no",
    "contact": "allowed",
    "channels": ["phone", "email"],
    "no_voicemail": "on",
    "no_text": "on",
    "safe_times": "Weekdays 10am to 2pm",
    "name": "Testperson Example",
    "phone": "07700 900123",
    "email": "testperson@example.invalid",
}


@pytest.fixture
def service_calls(monkeypatch) -> list[dict[str, object]]:
    """What the view hands to intake.services.receive_web_report (which still runs for real)."""
    from intake import services

    calls: list[dict[str, object]] = []
    real = services.receive_web_report

    def spy(**kwargs: object):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "receive_web_report", spy)
    return calls


def test_valid_report_creates_one_web_case_with_the_victims_wishes(
    client, caplog, service_calls
) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post("/report/", report_data(when=yesterday.isoformat(), **ALL_OF_IT))

    case = Case.objects.get()
    assert case.number not in response["Location"]
    html = thanks_page(client, response)
    assert case.number in html
    assert "What happens next" in html
    assert case.number not in client.get("/report/thanks/").content.decode()  # shown once

    assert case.channel == Case.Channel.WEB
    assert case.priority == Case.Priority.HIGH  # not safe now: top of the queue
    assert case.category == Category.objects.get(code="physical")
    assert case.incident_location == "At home"
    assert timezone.localtime(case.incident_occurred_at).date() == yesterday
    assert case.reports.get().body == REPORT_TEXT
    victim = victim_of(case)
    assert victim.name == "Testperson Example"
    assert victim.phone == "+447700900123"
    [call] = service_calls
    assert call["contact_preferences"] == WISHES
    assert (call["safe_now"], call["phone"]) == ("no", "+447700900123")
    stored = victim.contact_preferences
    assert {key: stored[key] for key in ("contact", "channels", "safe_times", "email")} == {
        key: WISHES[key] for key in ("contact", "channels", "safe_times", "email")
    }
    # The log says what happened, never who or what was said.
    for secret in (REPORT_TEXT, "Testperson", "07700", "7700900123", "At home", "example.invalid"):
        assert secret not in caplog.text


def test_stored_wishes_keep_their_true_and_false(client) -> None:
    client.post("/report/", report_data(**ALL_OF_IT))
    assert victim_of(Case.objects.get()).contact_preferences == WISHES


def test_only_what_happened_is_needed_and_the_default_is_no_contact(client, service_calls) -> None:
    thanks_page(client, client.post("/report/", report_data()))

    case = Case.objects.get()
    assert case.priority == Case.Priority.STANDARD
    assert case.category is None
    assert case.incident_occurred_at is None
    victim = victim_of(case)
    assert (victim.name, victim.phone) == ("", "")
    assert victim.contact_preferences["contact"] == "none"
    assert service_calls[0]["safe_now"] == ""
    assert service_calls[0]["contact_preferences"] == {
        "contact": "none",
        "channels": [],
        "no_voicemail": False,
        "no_text": False,
        "no_org_name": False,
        "updates": False,
        "portal": False,
        "safe_from": "",
        "safe_until": "",
        "language": "en",
        "safe_times": "",
        "email": "",
    }


def test_ways_to_contact_are_kept_only_when_contact_is_allowed(client) -> None:
    client.post(
        "/report/",
        report_data(contact="only_if_i_contact_first", channels=["phone"], phone="07700900456"),
    )
    prefs = victim_of(Case.objects.get()).contact_preferences
    assert prefs["contact"] == "only_if_i_contact_first"
    assert prefs["channels"] == []


def test_nul_characters_are_removed_and_other_text_kept_as_typed(client) -> None:
    text = "Made-up\x00 text \u202eRTL override 🙂"
    client.post("/report/", report_data(what_happened=text, name="Test\x00person"))
    case = Case.objects.get()
    assert case.reports.get().body == "Made-up text \u202eRTL override 🙂"
    assert victim_of(case).name == "Testperson"


# Invalid reports -----------------------------------------------------------------------------------


TOMORROW = (timezone.localdate() + timedelta(days=1)).isoformat()

INVALID = {
    "missing what happened": ({"what_happened": None}, "Tell us what happened"),
    "blank what happened": ({"what_happened": " \x00 \n"}, "Tell us what happened"),
    "future date": ({"when": TOMORROW}, "The date must be today or in the past"),
    "impossible date": ({"when": "31/02/2026"}, "Enter a real date"),
    "bad phone": ({"phone": "not a phone"}, "Enter a phone number, like 07700 900 982"),
    "short phone": ({"phone": "12"}, "Enter a phone number, like 07700 900 982"),
    "unknown category": ({"category": "no-such-harm"}, "Choose a kind of harm from the list"),
    "odd category": ({"category": "physical\x00"}, "Choose a kind of harm from the list"),
    "oversized text": ({"what_happened": "x" * 5001}, "Write 5,000 characters or fewer"),
    "garbage submission id": ({"submission_id": "garbage!"}, "Something went wrong"),
    "submission id too long": ({"submission_id": "A" * 23}, "Something went wrong"),
    "missing submission id": ({"submission_id": None}, "Something went wrong"),
    "unknown safety answer": ({"safe_now": "maybe"}, "Choose one of the options"),
    "contact allowed, no way": ({"contact": "allowed"}, "Choose how we can contact you"),
    "texts but no phone": (
        {"contact": "allowed", "channels": ["sms"]},
        "Enter a phone number so we can call or text you",
    ),
    "email but no address": (
        {"contact": "allowed", "channels": ["email"]},
        "Enter an email address so we can email you",
    ),
    "texts and do not text": (
        {"contact": "allowed", "channels": ["sms"], "phone": "07700900123", "no_text": "on"},
        "You chose text message",
    ),
    "bad email": ({"email": "not-an-email"}, "Enter an email address, like name@example.com"),
}


@pytest.mark.parametrize(("overrides", "message"), INVALID.values(), ids=INVALID.keys())
def test_invalid_report_is_shown_again_with_errors_and_nothing_stored(
    client, overrides: dict[str, object], message: str
) -> None:
    response = client.post("/report/", report_data(**overrides))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Get help</title>" in html
    assert ERROR_SUMMARY in html
    summary = html.split(ERROR_SUMMARY, 1)[1].split("</div>", 1)[0]
    assert re.search(r'<a href="#[\w-]+">' + re.escape(message), summary), summary
    assert html.count(message) >= 2  # in the summary and next to the question
    assert nothing_stored()


def test_each_error_link_points_at_an_element_on_the_page(client) -> None:
    data = report_data(what_happened="", when=TOMORROW, contact="allowed", submission_id="bad")
    html = client.post("/report/", data).content.decode()
    summary = html.split(ERROR_SUMMARY, 1)[1].split("</div>", 1)[0]
    anchors = re.findall(r'<a href="#([\w-]+)">', summary)
    assert len(anchors) == 4
    for anchor in anchors:
        assert f'id="{anchor}"' in html


def test_a_retired_category_is_refused(client) -> None:
    Category.objects.filter(code="other").update(is_active=False)
    response = client.post("/report/", report_data(category="other"))
    assert "Choose a kind of harm from the list" in response.content.decode()
    assert nothing_stored()


def test_answers_are_kept_when_the_form_comes_back(client) -> None:
    sid = new_submission_id()
    data = report_data(submission_id=sid, where="At the bus stop", when=TOMORROW)
    html = client.post("/report/", data).content.decode()
    assert REPORT_TEXT in html
    assert 'value="At the bus stop"' in html
    assert f'value="{sid}"' in html  # the same report when it is sent again, corrected
    thanks_page(client, client.post("/report/", {**data, "when": ""}))
    assert Report.objects.get().source_id == sid


def test_an_unusable_submission_id_is_replaced_so_the_next_send_works(client) -> None:
    html = client.post("/report/", report_data(submission_id="garbage!")).content.decode()
    fresh = re.search(r'name="submission_id" value="([^"]+)"', html).group(1)
    assert SUBMISSION_ID.fullmatch(fresh)
    thanks_page(client, client.post("/report/", report_data(submission_id=fresh)))
    assert Case.objects.count() == 1


def test_no_helpline_set_up_keeps_the_text_and_stores_nothing(client, helpline) -> None:
    helpline.is_active = False
    helpline.save()
    response = client.post("/report/", report_data())
    assert response.status_code == 503
    html = response.content.decode()
    assert "We could not send your message just now" in html
    assert REPORT_TEXT in html
    assert nothing_stored()


def test_other_methods_are_refused(client) -> None:
    assert client.put("/report/").status_code == 405
    assert client.post("/report/thanks/").status_code == 405


# Idempotent submits (SECURITY IN-04) ---------------------------------------------------------------


def test_the_same_submission_sent_twice_is_one_case_with_one_reference(client) -> None:
    data = report_data()
    first = thanks_page(client, client.post("/report/", data))
    second = thanks_page(client, client.post("/report/", data))

    case = Case.objects.get()
    assert Report.objects.count() == 1
    assert REFERENCE.findall(first) == REFERENCE.findall(second) == [case.number]


# Spam: dropped quietly, never refused --------------------------------------------------------------


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "invalid"])
def test_a_filled_honeypot_looks_received_but_stores_nothing(client, valid: bool) -> None:
    data = report_data(leave_blank="https://spam.example.invalid")
    if not valid:
        data["what_happened"] = ""
    html = thanks_page(client, client.post("/report/", data))

    assert RECEIVED in html
    assert not REFERENCE.search(html)  # no reference, real or fake
    assert nothing_stored()


# Over the rate limit: a question, never a dropped report (test_web_form_limits.py).


def test_a_broken_rate_limiter_still_stores_the_report(client, monkeypatch, caplog) -> None:
    def cache_down(*args: object, **kwargs: object) -> bool:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr("intake.web.is_ratelimited", cache_down)
    html = thanks_page(client, client.post("/report/", report_data()))

    assert Case.objects.get().number in html
    assert "public_report_rate_limit_unavailable" in caplog.text


def test_an_unreachable_redis_cache_still_stores_the_report(client, settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    html = thanks_page(client, client.post("/report/", report_data()))
    assert Case.objects.get().number in html


# What the page gives away -------------------------------------------------------------------------


def test_a_real_browser_round_trip_passes_the_csrf_check() -> None:
    browser = Client(enforce_csrf_checks=True)
    html = browser.get("/report/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    sid = re.search(r'name="submission_id" value="([^"]+)"', html).group(1)

    refused = browser.post("/report/", report_data(submission_id=sid))
    assert refused.status_code == 403
    assert nothing_stored()

    data = report_data(submission_id=sid, csrfmiddlewaretoken=token)
    thanks_page(browser, browser.post("/report/", data))
    assert Report.objects.get().source_id == sid


def _public_pages(client: Client) -> dict[str, object]:
    return {
        "form": client.get("/report/"),
        "errors": client.post("/report/", report_data(what_happened="")),
        "thanks": client.get("/report/thanks/"),
        "safety": client.get("/report/safety/"),
    }


def test_public_pages_are_never_cached_and_keep_the_strict_policy(client) -> None:
    for name, response in _public_pages(client).items():
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"], name
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp, name
        assert "style-src 'self'" in csp, name
        assert response["Referrer-Policy"] == "same-origin", name


def test_public_pages_load_nothing_from_elsewhere_and_run_nothing_inline(client) -> None:
    for name, response in _public_pages(client).items():
        html = response.content.decode()
        exit_link = f'<a href="{QUICK_EXIT}" role="button"'
        assert html.count(exit_link) == 1, name
        rest = html.replace(exit_link, "")
        assert "https://" not in rest, name
        assert "http://" not in rest, name
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), name  # no inline script bodies
        assert "style=" not in html, name
        assert "<style" not in html, name
        assert "bootstrap" not in html.lower(), name
        assert "North Helpline" not in html, name  # no organisation name
        assert html.count("<h1") == 1, name


def test_the_quick_exit_comes_before_anything_else_on_every_page(client) -> None:
    for name, response in _public_pages(client).items():
        body = response.content.decode().split("<body", 1)[1]
        first_link = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body).group(0)
        assert QUICK_EXIT in first_link, name
        assert 'rel="nofollow noreferrer"' in first_link, name
        assert 'href="/report/safety/"' in body, name


def test_a_public_page_weighs_under_150_kb(client) -> None:
    html = client.get("/report/").content.decode()
    total = len(html.encode())
    for path in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        found = finders.find(path)
        assert found, path
        total += Path(found).stat().st_size
    assert total < 150 * 1024, total


# Anything a browser can send ----------------------------------------------------------------------

ODD = st.sampled_from(
    ["\x00", "\u202e", "\u200f", "🙂", "👩🏽‍🦱", "\ufeff", "\r\n", "<script>", "'\""]
)
SHORT_ODD_TEXT = st.lists(st.one_of(st.text(max_size=12), ODD), min_size=1, max_size=8).map("".join)
ODD_TEXT = st.one_of(
    SHORT_ODD_TEXT,
    st.builds(lambda part, times: part * times, ODD | st.just("x"), st.integers(4990, 5010)),
)


def _mostly(usual: st.SearchStrategy[T], odd: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Five times in six the usual, else the odd (repeating a one_of branch would not weigh it)."""
    return st.tuples(st.integers(0, 5), usual, odd).map(lambda t: t[2] if t[0] == 5 else t[1])


FREE_TEXT = dict.fromkeys(("where", "safe_times", "name"), SHORT_ODD_TEXT)
# Mostly a sensible answer, sometimes anything at all: so that some reports get through to be stored.
CHOICES = {
    "when": ["2024-02-29", "31/12/2025", ""],
    "category": ["physical", "other", ""],
    "safe_now": ["yes", "no", "prefer_not_to_say"],
    "contact": ["none", "only_if_i_contact_first"],
    "channels": ["phone", "sms"],
    "no_voicemail": ["on", ""],
    "no_text": ["on", ""],
    "phone": ["07700 900123", "+44 7700 900456", ""],
    "email": ["testperson@example.invalid", ""],
}
ANSWERS = st.fixed_dictionaries(
    {"what_happened": ODD_TEXT},
    optional={
        **FREE_TEXT,
        **{name: _mostly(st.sampled_from(good), ODD_TEXT) for name, good in CHOICES.items()},
    },
)


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answers=_mostly(ANSWERS, st.dictionaries(st.sampled_from(list(CHOICES)), ODD_TEXT)))
def test_odd_input_is_stored_as_typed_or_sent_back_never_a_crash(
    client, settings, answers: dict[str, str]
) -> None:
    settings.INTAKE_FORM_RATE = "100000/h"
    sid = new_submission_id()
    response = client.post("/report/", {"submission_id": sid, **answers})

    stored = Report.objects.filter(channel=Case.Channel.WEB, source_id=sid).first()
    event(f"status {response.status_code}")
    if response.status_code == 303:
        assert stored is not None
        typed = answers["what_happened"].replace("\x00", "").strip()
        assert stored.case.number not in response["Location"]
        assert stored.body == typed
        assert stored.case.incident_description == typed
    else:
        assert response.status_code == 200
        assert ERROR_SUMMARY in response.content.decode()
        assert stored is None
