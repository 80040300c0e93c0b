"""People trying what they should not at the portal's sign-in: guessing codes, replaying one,
using it late, using another case's, probing whether a reference is a real case, hammering the
pages from one address, and two tries at once. Every refusal is the same words. All names,
numbers and codes are made up."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from cases.models import Case
from notifications.models import Notification
from portal import codes, session
from portal.models import PortalAccess, SignInCode
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory
from tests.portal.conftest import PREFERENCES, sign_in_as

NO_MATCH = "Those details do not match. Check the code, or ask for a new one."
GROUPED_CODE = re.compile(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{2,4}){6}\b")
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def _fresh_rate_limit_cache(settings) -> None:
    # Each test counts from zero, in the cache the settings name (Redis in the real-parts run).
    configured = settings.CACHES["default"]
    settings.CACHES = {"default": {**configured, "KEY_PREFIX": f"portal-abuse-{uuid.uuid4()}"}}


@pytest.fixture
def other_access(helpline) -> PortalAccess:
    """Another victim's case on the same helpline, with its own portal access."""
    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED)
    person = PersonFactory(
        name="Other Madeupperson", phone="+447700900654", contact_preferences=dict(PREFERENCES)
    )
    CasePersonFactory(case=case, person=person)
    return PortalAccess.objects.create(case=case)


def ask_for_code(client: Client, reference: str):
    return client.post("/portal/sign-in/", {"reference": reference})


def code_sent(access: PortalAccess) -> str:
    row = Notification.objects.filter(case=access.case, kind="victim.sign_in_code").latest("pk")
    return GROUPED_CODE.search(row.text).group(0)


def try_code(client: Client, code: str):
    return client.post("/portal/sign-in/code/", {"code": code})


def refused(answer) -> bool:
    """The one refusal: the code page again, 200, with the generic words and no session."""
    body = answer.content.decode()
    return (
        answer.status_code == 200
        and NO_MATCH in body
        and "<title>Error: " in body
        and session.KEY not in answer.wsgi_request.session
    )


def wrong_code() -> str:
    return codes.grouped(codes.new_code())


def test_wrong_codes_lock_the_access_and_then_even_the_right_code_fails(
    client, portal_access, settings
) -> None:
    # given
    settings.PORTAL_LOCK_AFTER, settings.PORTAL_LOCK_MINUTES = 5, 30
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        ask_for_code(client, portal_access.case.number)
        good = code_sent(portal_access)

        # when: five wrong guesses
        answers = [try_code(client, wrong_code()) for _ in range(5)]

        # then: each the same refusal; now locked for 30 minutes
        assert all(refused(answer) for answer in answers)
        portal_access.refresh_from_db()
        assert portal_access.failed_attempts == 5
        assert portal_access.locked_until == start + timedelta(minutes=30)
        assert portal_access.history.latest().history_change_reason == (
            "Locked after 5 wrong sign-in codes"
        )
        # the right code (still live) fails while locked, and a new one is not even sent
        assert refused(try_code(client, good))
        ask_for_code(client, portal_access.case.number)
        assert Notification.objects.filter(kind="victim.sign_in_code").count() == 1

        # when the lock has passed, a new code works and clears the count
        clock.move_to(start + timedelta(minutes=30, seconds=1))
        ask_for_code(client, portal_access.case.number)
        answer = try_code(client, code_sent(portal_access))

    assert answer.status_code == 302
    assert answer["Location"] == "/portal/"
    portal_access.refresh_from_db()
    assert (portal_access.failed_attempts, portal_access.locked_until) == (0, None)


def test_a_used_code_cannot_be_used_again(client, portal_access) -> None:
    # given: the victim signed in, then signed out
    ask_for_code(client, portal_access.case.number)
    code = code_sent(portal_access)
    assert try_code(client, code).status_code == 302
    client.post("/portal/sign-out/")

    # when someone replays the code (with the reference typed again)
    ask_for_code(client, portal_access.case.number)  # a new code goes to the victim, not to them
    replay = try_code(client, code)

    # then
    assert refused(replay)
    portal_access.refresh_from_db()
    assert portal_access.failed_attempts == 1


def test_a_code_past_its_minutes_is_refused(client, portal_access, settings) -> None:
    # given
    settings.PORTAL_CODE_MINUTES = 10
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        ask_for_code(client, portal_access.case.number)
        code = code_sent(portal_access)

        # when
        clock.move_to(start + timedelta(minutes=10, seconds=1))
        late = try_code(client, code)

    # then
    assert refused(late)


def test_a_code_just_inside_its_minutes_still_works(client, portal_access, settings) -> None:
    settings.PORTAL_CODE_MINUTES = 10
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        ask_for_code(client, portal_access.case.number)
        code = code_sent(portal_access)
        clock.move_to(start + timedelta(minutes=9, seconds=59))
        answer = try_code(client, code)

    assert answer["Location"] == "/portal/"


def test_another_cases_live_code_does_not_open_this_case(
    client, portal_access, other_access
) -> None:
    # given: a live code for the other case (its victim asked for one)
    ask_for_code(Client(), other_access.case.number)
    their_code = code_sent(other_access)

    # when: typed after this case's reference
    ask_for_code(client, portal_access.case.number)
    answer = try_code(client, their_code)

    # then
    assert refused(answer)
    assert SignInCode.objects.get(access=other_access).used_at is None


def _page(answer) -> str:
    return CSRF_VALUE.sub("", answer.content.decode())


def test_a_real_and_a_made_up_reference_get_identical_answers(client, portal_access) -> None:
    """A person probing references learns nothing: same redirect, same pages, same refusal."""
    made_up = "LNT-2026-999999"
    assert not Case.objects.filter(number=made_up).exists()
    answers = {}
    for name, reference in (("real", portal_access.case.number), ("made_up", made_up)):
        browser = Client()
        first = ask_for_code(browser, reference)
        page = browser.get(first["Location"])
        wrong = try_code(browser, wrong_code())
        answers[name] = (
            first.status_code,
            first["Location"],
            page.status_code,
            _page(page),
            wrong.status_code,
            _page(wrong),
        )

    assert answers["real"] == answers["made_up"]
    assert Notification.objects.filter(kind="victim.sign_in_code").count() == 1


@pytest.mark.parametrize("ended", ["revoked", "discarded", "closed_long_ago"])
def test_an_ended_access_gets_no_code_and_the_same_refusal(
    client, portal_access, ended, settings
) -> None:
    # given: a code was sent while the access was live
    ask_for_code(client, portal_access.case.number)
    code = code_sent(portal_access)
    case = portal_access.case
    if ended == "revoked":
        portal_access.status = PortalAccess.Status.REVOKED
        portal_access.save()
    elif ended == "discarded":
        Case.objects.filter(pk=case.pk).update(status=Case.Status.DISCARDED)
    else:
        closed = timezone.now() - timedelta(days=settings.PORTAL_GRACE_DAYS + 1)
        Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED, closed_at=closed)

    # when
    again = ask_for_code(client, case.number)
    answer = try_code(client, code)

    # then
    assert again["Location"] == "/portal/sign-in/code/"
    assert Notification.objects.filter(kind="victim.sign_in_code").count() == 1
    assert refused(answer)


def test_codes_per_reference_are_limited_and_the_page_stays_the_same(
    portal_access, settings
) -> None:
    settings.PORTAL_CODE_RATE = "3/h"
    number = portal_access.case.number
    # from three different addresses, so only the reference's count is at work
    answers = [
        ask_for_code(Client(REMOTE_ADDR=f"192.0.2.{i}"), number.lower() if i % 2 else number)
        for i in range(1, 6)
    ]

    assert [a["Location"] for a in answers] == ["/portal/sign-in/code/"] * 5
    assert Notification.objects.filter(kind="victim.sign_in_code").count() == 3
    assert SignInCode.objects.filter(access=portal_access).count() == 3


def test_the_reference_is_not_what_the_rate_limit_keeps(portal_access) -> None:
    key = codes.reference_key(portal_access.case.number)

    assert portal_access.case.number not in key
    assert key == codes.reference_key(portal_access.case.number.lower().replace("-", " "))
    assert re.fullmatch(r"[0-9a-f]{64}", key)


def test_too_many_tries_from_one_address_get_429_in_plain_words(portal_access, settings) -> None:
    # given
    settings.PORTAL_ADDRESS_RATE = "6/h"
    browser = Client(REMOTE_ADDR="198.51.100.7")

    # when: both steps count, whichever references are typed
    answers = [ask_for_code(browser, f"LNT-1999-{n:06d}") for n in range(3)]
    answers += [try_code(browser, wrong_code()) for _ in range(3)]
    over = [ask_for_code(browser, portal_access.case.number), try_code(browser, wrong_code())]
    elsewhere = ask_for_code(Client(REMOTE_ADDR="198.51.100.8"), portal_access.case.number)

    # then
    assert [a.status_code for a in answers] == [302, 302, 302, 200, 200, 200]
    assert [a.status_code for a in over] == [429, 429]
    assert "Too many tries from here. Wait an hour and try again." in over[0].content.decode()
    assert over[0]["Retry-After"] == "3600"
    assert elsewhere.status_code == 302
    # the one over the limit sent nothing: only the other address's request did
    assert Notification.objects.filter(kind="victim.sign_in_code").count() == 1


def test_a_broken_rate_limiter_lets_the_victim_in(client, portal_access, monkeypatch) -> None:
    def cache_down(*args: object, **kwargs: object) -> bool:
        raise ConnectionError("the cache is down")

    monkeypatch.setattr("portal.sign_in.is_ratelimited", cache_down)

    ask_for_code(client, portal_access.case.number)
    answer = try_code(client, code_sent(portal_access))

    assert answer["Location"] == "/portal/"


# Two at once: the access row is locked while a try is judged -----------------------------------


def _at_once(count: int, work) -> list:
    barrier = threading.Barrier(count)

    def run(index: int):
        barrier.wait()
        try:
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.django_db(transaction=True)
def test_one_code_tried_twice_at_once_signs_in_once(portal_access) -> None:
    # given
    codes.send_code(reference=portal_access.case.number)
    code = code_sent(portal_access)

    # when
    results = _at_once(
        2, lambda _: codes.try_code(reference=portal_access.case.number, typed=code).outcome
    )

    # then
    assert sorted(r.value for r in results) == ["refused", "signed_in"]
    assert SignInCode.objects.get().used_at is not None


@pytest.mark.django_db(transaction=True)
def test_wrong_codes_sent_at_once_are_all_counted(portal_access, settings) -> None:
    # given
    settings.PORTAL_LOCK_AFTER = 100
    codes.send_code(reference=portal_access.case.number)

    # when
    results = _at_once(
        6, lambda _: codes.try_code(reference=portal_access.case.number, typed=wrong_code())
    )

    # then
    assert {r.outcome for r in results} == {codes.Outcome.REFUSED}
    portal_access.refresh_from_db()
    assert portal_access.failed_attempts == 6


def test_what_is_typed_at_sign_in_stays_out_of_error_reports(client, portal_access) -> None:
    """Django's error reports (mail to admins, the debug page) mask these fields."""
    first = ask_for_code(client, portal_access.case.number)
    second = try_code(client, wrong_code())
    safety = sign_in_as(Client(), portal_access).post("/portal/safety/", {"duress_code": "x"})

    assert first.wsgi_request.sensitive_post_parameters == ("reference",)
    assert second.wsgi_request.sensitive_post_parameters == ("code",)
    assert safety.wsgi_request.sensitive_post_parameters == ("duress_code",)
