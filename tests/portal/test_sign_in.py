"""A victim signs in to the portal: the case reference, then the one-time code sent to the way of
contact they said is safe. The code is 128 random bits in base32 (not a UUID), exists only in the
message that carried it (the database keeps a keyed hash), works once; nothing is sent when their
answers forbid texts and email. All names, numbers and addresses are made up."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Notification
from notifications.selectors import victim_messages
from portal import codes, session
from portal.models import PortalAccess, SignInCode
from portal.sign_in import PENDING_KEY
from tests.notifications.fakes import smtp_server, twilio_fake
from tests.portal.conftest import VICTIM_EMAIL, VICTIM_PHONE

pytestmark = pytest.mark.django_db

SENT_WORDS = (
    "If the reference is right, we have sent a code to the way of contact you said is safe."
)
GROUPED_CODE = re.compile(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{2,4}){6}\b")


@pytest.fixture(autouse=True)
def _fresh_rate_limit_cache(settings) -> None:
    # Each test counts from zero, in the cache the settings name (Redis in the real-parts run).
    configured = settings.CACHES["default"]
    settings.CACHES = {"default": {**configured, "KEY_PREFIX": f"portal-sign-in-{uuid.uuid4()}"}}


def ask_for_code(client, reference: str):
    return client.post("/portal/sign-in/", {"reference": reference})


def code_sent(access: PortalAccess) -> str:
    """The code as the victim read it in the newest message that carried one."""
    row = Notification.objects.filter(case=access.case, kind="victim.sign_in_code").latest("pk")
    match = GROUPED_CODE.search(row.text)
    assert match, "no code in the message"
    return match.group(0)


def test_the_reference_then_the_code_signs_the_victim_in(client, portal_access) -> None:
    # given
    number = portal_access.case.number

    # when
    first = ask_for_code(client, number)
    code_page = client.get("/portal/sign-in/code/")
    signed_in = client.post("/portal/sign-in/code/", {"code": code_sent(portal_access)})

    # then
    assert first.status_code == 302
    assert first["Location"] == "/portal/sign-in/code/"
    assert number not in first["Location"]
    assert SENT_WORDS in code_page.content.decode()
    assert "It works for 10 minutes." in code_page.content.decode()
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/portal/"
    visitor = client.session[session.KEY]
    assert (visitor["access"], visitor["decoy"]) == (portal_access.pk, False)
    assert PENDING_KEY not in client.session
    portal_access.refresh_from_db()
    assert portal_access.failed_attempts == 0
    assert portal_access.last_signed_in_at is not None
    assert SignInCode.objects.get().used_at is not None


@pytest.mark.parametrize(
    "typed",
    ["{number}", "{lower}", "  {number}  ", "{spaced}", "{run_together}"],
)
def test_the_reference_may_be_typed_in_lower_case_or_with_spaces(
    client, portal_access, typed
) -> None:
    # given
    number = portal_access.case.number  # e.g. LNT-2026-000123
    forms = {
        "number": number,
        "lower": number.lower(),
        "spaced": number.replace("-", " ").lower(),
        "run_together": number.replace("-", ""),
    }

    # when
    ask_for_code(client, typed.format(**forms))

    # then
    assert SignInCode.objects.filter(access=portal_access).count() == 1


@pytest.mark.parametrize("typed", ["as_sent", "lower", "no_hyphens", "spaces", "padded"])
def test_the_code_may_be_pasted_or_typed_in_any_case_with_or_without_its_dashes(
    client, portal_access, typed
) -> None:
    # given
    ask_for_code(client, portal_access.case.number)
    code = code_sent(portal_access)
    forms = {
        "as_sent": code,
        "lower": code.lower(),
        "no_hyphens": code.replace("-", ""),
        "spaces": code.replace("-", " "),
        "padded": f"  {code}\n",
    }

    # when
    answer = client.post("/portal/sign-in/code/", {"code": forms[typed]})

    # then
    assert answer.status_code == 302
    assert answer["Location"] == "/portal/"


def test_a_code_is_26_base32_characters_and_not_a_uuid() -> None:
    made = {codes.new_code() for _ in range(200)}

    assert len(made) == 200
    for code in made:
        assert re.fullmatch(r"[A-Z2-7]{26}", code)
        with pytest.raises(ValueError, match="badly formed"):
            uuid.UUID(code)
        assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){5}-[A-Z2-7]{2}", codes.grouped(code))
    # 128 bits: every character of the alphabet turns up, the last one only 4 of 32 values
    assert set("".join(made)) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def _every_text_value() -> list[str]:
    """Every text value in every table of the database, as stored."""
    values: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            columns = connection.introspection.get_table_description(cursor, table)
            names = ", ".join(connection.ops.quote_name(c.name) for c in columns)
            cursor.execute(f"SELECT {names} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            values += [str(v) for row in cursor.fetchall() for v in row if v is not None]
    return values


def test_only_the_message_that_carried_the_code_holds_it(client, portal_access, operator) -> None:
    # given
    ask_for_code(client, portal_access.case.number)
    code = code_sent(portal_access)

    # when
    stored = _every_text_value()

    # then the database holds neither form of it in plain (the message text is encrypted) ...
    for form in (code, code.replace("-", "")):
        assert not [value for value in stored if form in value]
    # ... the sign-in code row keeps only the keyed hash ...
    row = SignInCode.objects.get()
    assert row.code_index == codes.code_index(code)
    assert row.code_index != code.replace("-", "")
    assert row.channel == "sms"
    # ... the one message that carried it is the only place it can be read back ...
    carriers = [n for n in Notification.objects.all() if code in n.text]
    assert [n.pk for n in carriers] == [row.notification_id]
    assert carriers[0].destination == VICTIM_PHONE
    # ... and staff reading the case's messages see that a code was sent, never the code.
    thread = " ".join(str(entry) for entry in victim_messages(operator, portal_access.case))
    assert "sign-in code" in thread.lower()
    assert code not in thread


def test_a_new_code_ends_the_earlier_one(client, portal_access) -> None:
    # given
    ask_for_code(client, portal_access.case.number)
    first = code_sent(portal_access)
    ask_for_code(client, portal_access.case.number)
    second = code_sent(portal_access)

    # when
    old = client.post("/portal/sign-in/code/", {"code": first})
    new = client.post("/portal/sign-in/code/", {"code": second})

    # then
    assert first != second
    assert old.status_code == 200
    assert "Those details do not match" in old.content.decode()
    assert new.status_code == 302


def test_the_code_goes_by_email_when_texts_are_not_safe(client, portal_access) -> None:
    # given
    victim = portal_access.case.people.get(role="victim").person
    victim.contact_preferences = {**victim.contact_preferences, "channels": ["email"]}
    victim.save()

    # when
    ask_for_code(client, portal_access.case.number)

    # then
    row = Notification.objects.get(kind="victim.sign_in_code")
    assert (row.channel, row.destination, row.status) == ("email", VICTIM_EMAIL, "pending")
    assert SignInCode.objects.get().channel == "email"


@pytest.mark.parametrize(
    "answers",
    [
        {"contact": "none"},
        {"channels": ["phone"]},
        {"channels": []},
        {"no_text": True, "email": ""},
    ],
    ids=["no contact", "phone calls only", "no way given", "no texts and no email address"],
)
def test_no_code_is_sent_when_texts_and_email_are_both_forbidden(
    client, portal_access, settings, answers, django_capture_on_commit_callbacks
) -> None:
    # given: the victim's safe-contact answers allow neither a text nor an email
    victim = portal_access.case.people.get(role="victim").person
    victim.contact_preferences = {**victim.contact_preferences, **answers}
    victim.save()
    helpline = portal_access.case.helpline
    helpline.phone_number = "+447700900000"
    helpline.save()

    with (
        twilio_fake(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN) as twilio,
        smtp_server() as smtp,
    ):
        settings.TWILIO_API_BASE_URL = twilio.base_url
        settings.TWILIO_FROM_NUMBER = "+447700900000"
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

        # when
        with django_capture_on_commit_callbacks(execute=True):
            answer = ask_for_code(client, portal_access.case.number)

        # then
        assert answer["Location"] == "/portal/sign-in/code/"
        assert twilio.requests == []
        assert smtp.messages == []
    row = Notification.objects.get(kind="victim.sign_in_code")
    assert row.status == Notification.Status.SUPPRESSED
    assert not SignInCode.objects.exists()


def test_the_code_reaches_the_victims_phone_and_only_it(
    client, portal_access, settings, django_capture_on_commit_callbacks
) -> None:
    """The same flow with the providers on loopback: one text, to the safe number, with the
    code and nothing about the case."""
    helpline = portal_access.case.helpline
    helpline.phone_number = "+447700900000"
    helpline.save()
    with twilio_fake(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN) as twilio:
        settings.TWILIO_API_BASE_URL = twilio.base_url
        settings.TWILIO_FROM_NUMBER = "+447700900000"

        with django_capture_on_commit_callbacks(execute=True):
            ask_for_code(client, portal_access.case.number)

        sent = twilio.wait_for_requests(1)
    assert [r.to for r in sent] == [VICTIM_PHONE]
    assert code_sent(portal_access) in sent[0].body
    assert portal_access.case.number not in sent[0].body
    assert "Made-up report" not in sent[0].body


def test_step_two_without_step_one_goes_back_to_the_reference(client, portal_access) -> None:
    answer_get = client.get("/portal/sign-in/code/")
    answer_post = client.post("/portal/sign-in/code/", {"code": "AAAA-BBBB"})

    assert answer_get["Location"] == "/portal/sign-in/"
    assert answer_post["Location"] == "/portal/sign-in/"
    assert session.KEY not in client.session


def test_an_empty_answer_is_asked_again_with_the_govuk_error_pattern(client, portal_access) -> None:
    # when
    empty_reference = client.post("/portal/sign-in/", {"reference": "  "})
    ask_for_code(client, portal_access.case.number)
    empty_code = client.post("/portal/sign-in/code/", {"code": ""})

    # then
    for answer, message in (
        (empty_reference, "Enter your case reference"),
        (empty_code, "Enter the code from our message"),
    ):
        body = answer.content.decode()
        assert answer.status_code == 200
        assert "<title>Error: " in body
        assert 'class="public-error-summary"' in body
        assert body.count(message) == 2  # the summary and the field


def test_the_pages_ask_one_question_each_with_the_label_as_heading(client, portal_access) -> None:
    first = client.get("/portal/sign-in/").content.decode()
    ask_for_code(client, portal_access.case.number)
    second = client.get("/portal/sign-in/code/").content.decode()

    assert re.search(r"<h1><label[^>]*>What is your case reference\?</label></h1>", first)
    assert re.search(r"<h1><label[^>]*>Enter the code we sent you</label></h1>", second)
    code_input = re.search(r"<input[^>]*name=\"code\"[^>]*>", second).group(0)
    assert 'autocomplete="one-time-code"' in code_input
    assert "onpaste" not in second  # pasting the code is allowed (WCAG 3.3.8)
    assert 'href="/portal/leave/"' in first  # the quick exit ends the portal session


def test_signing_in_records_when_and_clears_earlier_wrong_tries(client, portal_access) -> None:
    # given
    portal_access.failed_attempts = 3
    portal_access.save()
    ask_for_code(client, portal_access.case.number)

    # when
    client.post("/portal/sign-in/code/", {"code": code_sent(portal_access)})

    # then
    portal_access.refresh_from_db()
    assert portal_access.failed_attempts == 0
    assert abs((timezone.now() - portal_access.last_signed_in_at).total_seconds()) < 60
