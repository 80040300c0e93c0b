"""The duress code: a victim sets it on the safety page; typed at sign-in instead of the code we
send, it opens a decoy with nothing from the case and silently tells the case's supervisors. A
person watching learns nothing: not whether a code is set, not that an alert went. All names,
numbers and words are made up."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from notifications.models import Notification
from portal import codes, duress, session
from portal.models import PortalAccess, SignInCode
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, StaffFactory
from tests.portal.conftest import PREFERENCES, sign_in_as

pytestmark = pytest.mark.django_db

GROUPED_CODE = re.compile(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{2,4}){6}\b")
DURESS = "Blue Kettle 7"
CANARY = "CANARY-7fq2 the blue car outside the flats. Made-up test text."


@pytest.fixture(autouse=True)
def _fresh_rate_limit_cache(settings) -> None:
    # Each test counts from zero, in the cache the settings name (Redis in the real-parts run).
    configured = settings.CACHES["default"]
    settings.CACHES = {"default": {**configured, "KEY_PREFIX": f"portal-duress-{uuid.uuid4()}"}}


@pytest.fixture
def with_duress(portal_access) -> PortalAccess:
    duress.set_duress_code(access=portal_access, typed=DURESS)
    portal_access.refresh_from_db()
    return portal_access


def sign_in_with(client: Client, access: PortalAccess, typed: str):
    client.post("/portal/sign-in/", {"reference": access.case.number})
    return client.post("/portal/sign-in/code/", {"code": typed})


def code_sent(access: PortalAccess) -> str:
    row = Notification.objects.filter(case=access.case, kind="victim.sign_in_code").latest("pk")
    return GROUPED_CODE.search(row.text).group(0)


# Setting it -----------------------------------------------------------------------------------


def test_the_victim_sets_a_duress_code_and_only_its_hash_is_kept(
    victim_client, portal_access
) -> None:
    # given
    page = victim_client.get("/portal/safety/").content.decode()

    # when
    answer = victim_client.post("/portal/safety/", {"duress_code": "  my-safe 42 "})
    after = victim_client.get(answer["Location"]).content.decode()

    # then
    assert "If someone makes you sign in, type this instead of the code we send." in page
    assert "You will see a page with nothing on it, and we will know you need help." in page
    assert answer.status_code == 302
    assert answer["Location"] == "/portal/safety/"
    assert 'role="status"' in after
    assert "Your safety code is saved." in after
    portal_access.refresh_from_db()
    assert "MYSAFE42" not in portal_access.duress_hash
    assert check_password("MYSAFE42", portal_access.duress_hash)
    assert portal_access.history.latest().history_change_reason == (
        "The victim set a duress code in the portal"
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "must be 4 to 12 letters or numbers long"),
        ("a-b c", "must be 4 to 12 letters or numbers long"),
        ("thirteen-chars-long", "must be 4 to 12 letters or numbers long"),
        ("7777", "must not be the same letter or number every time"),
        ("aAaA aa", "must not be the same letter or number every time"),
        ("", "Enter a safety code"),
    ],
)
def test_a_duress_code_that_will_not_do_is_asked_again(
    victim_client, portal_access, typed, message
) -> None:
    answer = victim_client.post("/portal/safety/", {"duress_code": typed})

    body = answer.content.decode()
    assert answer.status_code == 200
    assert "<title>Error: " in body
    assert 'class="public-error-summary"' in body
    assert message in body
    portal_access.refresh_from_db()
    assert portal_access.duress_hash == ""


def test_the_safety_page_never_says_whether_a_code_is_set(client, portal_access) -> None:
    browser = sign_in_as(client, portal_access)
    without = re.sub(r'value="[^"]+"', "", browser.get("/portal/safety/").content.decode())
    duress.set_duress_code(access=portal_access, typed=DURESS)
    with_code = re.sub(r'value="[^"]+"', "", browser.get("/portal/safety/").content.decode())

    assert without == with_code


def test_the_victim_changes_then_removes_the_code(victim_client, with_duress) -> None:
    victim_client.post("/portal/safety/", {"duress_code": "green door"})
    with_duress.refresh_from_db()
    assert check_password("GREENDOOR", with_duress.duress_hash)
    assert not check_password("BLUEKETTLE7", with_duress.duress_hash)

    answer = victim_client.post("/portal/safety/", {"remove": "1"})

    assert "Your safety code is removed." in victim_client.get(answer["Location"]).content.decode()
    with_duress.refresh_from_db()
    assert with_duress.duress_hash == ""
    assert with_duress.history.latest().history_change_reason == (
        "The victim removed their duress code in the portal"
    )


def test_nobody_signed_in_cannot_set_a_code(client, portal_access) -> None:
    answer = client.post("/portal/safety/", {"duress_code": "green door"})

    assert answer["Location"] == "/portal/sign-in/"
    portal_access.refresh_from_db()
    assert portal_access.duress_hash == ""


# Using it -------------------------------------------------------------------------------------


@pytest.fixture
def canary_case(portal_access) -> PortalAccess:
    """Things the decoy must never show: the report's words, the victim's name, the number."""
    case = portal_access.case
    case.reports.update(body=CANARY)
    return portal_access


def test_the_duress_code_opens_the_decoy_and_tells_the_supervisors(
    client, with_duress, canary_case, supervisor, operator, other_helpline, caplog
) -> None:
    # given: a supervisor of another helpline, and one who has left
    elsewhere = StaffFactory(organisation=other_helpline, role=User.Role.SUPERVISOR)
    left = StaffFactory(organisation=with_duress.case.helpline, role=User.Role.SUPERVISOR)
    left.is_active = False
    left.save()
    supervisor.phone = "+447700900999"
    supervisor.save()
    number = with_duress.case.number

    # when: made to sign in, the victim types the duress code (any case, with spaces)
    with caplog.at_level(logging.INFO, logger="lantern.security"):
        answer = sign_in_with(client, with_duress, "blue kettle-7")
    page = client.get(answer["Location"])

    # then: it looks like any sign-in ...
    assert answer.status_code == 302
    assert answer["Location"] == "/portal/"
    assert client.session[session.KEY]["decoy"] is True
    # ... to a page with nothing from the case
    body = page.content.decode()
    assert "We have your report. There is nothing new." in body
    for secret in (CANARY, "CANARY-7fq2", "Portal Testvictim", number, "North Helpline"):
        assert secret not in body
    assert 'action="/portal/sign-out/"' in body
    # ... and the active supervisors of this case's helpline and its holder were told, by case
    # number, by email and text as well as in the app, on duty or not (nobody may miss it)
    alerts = Notification.objects.filter(kind="portal.duress")
    assert {a.recipient for a in alerts} == {supervisor, operator}
    assert {a.channel for a in alerts if a.recipient == supervisor} == {"in_app", "email", "sms"}
    assert {a.text.split("\n")[0] for a in alerts} == {
        f"Duress code used on the portal for case {number}: contact the victim only in the "
        "way they said is safe."
    }
    assert not Notification.objects.filter(recipient__in=[elsewhere, left]).exists()
    # ... and the case says so to whoever opens it
    note = with_duress.case.notes.get()
    assert "duress code" in note.text
    # the security log has ids, never the case number or the code
    lines = [r for r in caplog.records if r.getMessage() == "portal_duress_code_used"]
    assert len(lines) == 1
    assert (lines[0].access_id, lines[0].case_id) == (with_duress.pk, with_duress.case_id)
    assert number not in caplog.text
    assert "KETTLE" not in caplog.text.upper()


def test_the_decoy_ends_the_codes_sent_so_the_real_pages_stay_shut(client, with_duress) -> None:
    # given: a code is on the victim's phone, and they type the duress code
    sign_in_with(client, with_duress, DURESS)
    code = code_sent(with_duress)

    # when the person with them reads the code on the phone and tries it
    attempt = codes.try_code(reference=with_duress.case.number, typed=code)

    # then
    assert attempt.outcome is codes.Outcome.REFUSED
    row = SignInCode.objects.get()
    assert row.used_at is None
    assert row.expires_at <= timezone.now()


def test_a_decoy_session_reaches_no_real_page_and_changes_nothing(
    client, with_duress, canary_case
) -> None:
    # given
    sign_in_with(client, with_duress, DURESS)
    hash_before = PortalAccess.objects.get(pk=with_duress.pk).duress_hash
    reports_before = with_duress.case.reports.count()

    # when: every page, and a form sent to each
    pages = {url: client.get(url) for url in ("/portal/", "/portal/messages/", "/portal/safety/")}
    posts = [
        client.post("/portal/safety/", {"duress_code": "new code 1"}),
        client.post("/portal/safety/", {"remove": "1"}),
        client.post("/portal/messages/", {"text": "Made-up message from the decoy.", "token": "x"}),
    ]

    # then: the same harmless page, status 200, for each
    for answer in [*pages.values(), *posts]:
        assert answer.status_code == 200
        body = answer.content.decode()
        assert "We have your report. There is nothing new." in body
        assert CANARY not in body
        assert "Made-up message from the decoy." not in body
    assert PortalAccess.objects.get(pk=with_duress.pk).duress_hash == hash_before
    assert with_duress.case.reports.count() == reports_before
    # the menu marks the page asked for, as the real pages do
    assert re.search(
        r'<a href="/portal/messages/" aria-current="page">',
        pages["/portal/messages/"].content.decode(),
    )


def test_the_decoy_draws_the_same_menu_as_a_real_page(client, portal_access) -> None:
    real = sign_in_as(Client(), portal_access).get("/portal/safety/").content.decode()
    fake = sign_in_as(client, portal_access, decoy=True).get("/portal/safety/").content.decode()

    def menu(body: str) -> str:
        return re.search(r'<nav class="portal-nav".*?</nav>', body, re.S).group(0)

    assert "Safety settings" in menu(real)
    assert menu(real) == menu(fake)


def test_the_real_code_still_signs_in_for_real_when_a_duress_code_is_set(
    client, with_duress
) -> None:
    client.post("/portal/sign-in/", {"reference": with_duress.case.number})
    answer = client.post("/portal/sign-in/code/", {"code": code_sent(with_duress)})

    assert answer["Location"] == "/portal/"
    assert client.session[session.KEY]["decoy"] is False
    assert not Notification.objects.filter(kind="portal.duress").exists()


def test_a_locked_access_refuses_the_duress_code_like_any_other_but_still_raises_the_alarm(
    client, with_duress, supervisor
) -> None:
    """Someone fumbling may have locked the access before making the victim type: the page is
    the same refusal as any other, and the supervisors are told all the same."""
    with_duress.locked_until = timezone.now() + timedelta(minutes=10)
    with_duress.save()

    answer = sign_in_with(client, with_duress, DURESS)

    assert "Those details do not match" in answer.content.decode()
    assert session.KEY not in client.session
    assert Notification.objects.filter(kind="portal.duress", recipient=supervisor).exists()


def test_another_cases_duress_code_does_nothing_here(client, with_duress, helpline) -> None:
    other = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED)
    person = PersonFactory(name="Other Madeupperson", contact_preferences=dict(PREFERENCES))
    CasePersonFactory(case=other, person=person)
    other_access = PortalAccess.objects.create(case=other)

    answer = sign_in_with(client, other_access, DURESS)

    assert "Those details do not match" in answer.content.decode()
    assert not Notification.objects.filter(kind="portal.duress").exists()
    other_access.refresh_from_db()
    assert other_access.failed_attempts == 1


def test_every_refusal_takes_a_hash_check_whether_or_not_a_code_is_set(
    portal_access, monkeypatch
) -> None:
    """Without a duress code, for an unknown reference and for a locked access a stand-in hash
    is still checked, so the time an answer takes does not tell someone at the sign-in page that
    the victim set one, or that the reference is real."""
    checked: list[str] = []
    real_check = duress.check_password

    def counting(password: str, encoded: str) -> bool:
        checked.append(encoded)
        return real_check(password, encoded)

    monkeypatch.setattr(duress, "check_password", counting)
    number = portal_access.case.number

    def checks(attempt) -> int:
        before = len(checked)
        attempt()
        return len(checked) - before

    # no duress code set; an unknown reference
    assert checks(lambda: codes.try_code(reference=number, typed="green door")) == 1
    assert checks(lambda: codes.try_code(reference="LNT-1999-000001", typed="green door")) == 1
    # a duress code set: a wrong one, a whole 26-character code, the right one
    duress.set_duress_code(access=portal_access, typed=DURESS)
    assert checks(lambda: codes.try_code(reference=number, typed="green door")) == 1
    assert checks(lambda: codes.try_code(reference=number, typed=codes.new_code())) == 1
    assert duress.matches(PortalAccess.objects.get(pk=portal_access.pk), "BLUE KETTLE 7")
    # locked
    PortalAccess.objects.filter(pk=portal_access.pk).update(
        locked_until=timezone.now() + timedelta(minutes=5)
    )
    assert checks(lambda: codes.try_code(reference=number, typed=DURESS)) == 1
