"""The safe-contact box is complete wherever it is shown, in words (issue 11 item 11), and the
printed case file's timeline reads like the one on the case page."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from cases.contact import contact_lines
from cases.models import Case
from cases.services import move_case
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db

FULL = {
    "contact": "allowed",
    "channels": ["sms", "phone", "email"],
    "no_voicemail": True,
    "no_text": False,
    "no_org_name": True,
    "updates": True,
    "portal": True,
    "safe_times": "After the school run",
    "safe_from": "10:00",
    "safe_until": "14:00",
    "language": "cy",
    "email": "made-up@example.org",
}
EXPECTED = [
    ("Contact", "Allowed"),
    ("Ways", "Text message, Phone call, Email"),
    ("Safe hours", "10:00 to 14:00 (After the school run)"),
    ("Voicemail", "Do not leave voicemail"),
    ("Organisation", "Do not name the organisation"),
    ("Updates", "Wants automatic updates"),
    ("Portal", "Wants to follow their report online"),
    ("Language", "Welsh"),
]


def test_every_answer_reads_in_words() -> None:
    assert [(line.label, line.words) for line in contact_lines(FULL)] == EXPECTED
    assert [line.label for line in contact_lines(FULL) if line.warning] == [
        "Voicemail",
        "Organisation",
    ]


def test_nothing_given_reads_as_do_not_contact() -> None:
    lines = {line.label: line.words for line in contact_lines({})}
    assert lines["Contact"] == "Not known: do not contact"
    assert lines["Ways"] == "None given"
    assert lines["Updates"] == "No automatic updates"
    assert lines["Portal"] == "Not using the portal"
    no_text = {line.label: line.words for line in contact_lines({**FULL, "no_text": True})}
    assert no_text["Texts"] == "Do not text"


def victim_case(helpline, status: str, **kwargs) -> Case:
    case = CaseFactory(helpline=helpline, status=status, **kwargs)
    CasePersonFactory(
        case=case, person=PersonFactory(name="Testperson Boxed", contact_preferences=FULL)
    )
    return case


def assert_complete(html: str) -> None:
    for label, words in EXPECTED:
        assert f'<dt class="col-sm-4">{label}</dt>' in html, label
        assert words in html, words
    assert ">sms<" not in html
    assert "sms, phone" not in html


def test_the_box_is_complete_on_every_page_that_shows_it(
    helpline, operator, cso, otp_client
) -> None:
    client = otp_client(operator)
    resolved = victim_case(helpline, Case.Status.RESOLVED, claimed_by=operator)
    verified = victim_case(helpline, Case.Status.VERIFIED, claimed_by=operator)
    claimed = victim_case(helpline, Case.Status.NEW)
    move_case(case=claimed, to=Case.Status.IN_TRIAGE, actor=operator, reason="Claimed")
    for url in (
        f"/cases/{resolved.number}/",
        f"/cases/{resolved.number}/close/",
        f"/cases/{verified.number}/refer/",
        f"/console/{claimed.number}/verify/",
        f"/console/{claimed.number}/discard/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode().replace("&#x27;", "'")
        assert_complete(html)


def pdf_text(answer) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)


def test_the_printed_file_has_the_whole_box_and_the_timeline_in_words(
    helpline, operator, cso, otp_client
) -> None:
    case = victim_case(helpline, Case.Status.NEW)
    move_case(case=case, to=Case.Status.IN_TRIAGE, actor=operator, reason="Claimed")
    ReferralFactory(case=case, organisation=cso, referred_by=operator)

    text = " ".join(pdf_text(otp_client(operator).get(f"/cases/{case.number}/print/")).split())

    for label, words in EXPECTED:
        assert f"{label} {words}" in text, label
    # the case page's sentences, not field names
    assert f"Case changed by {operator.username}: Claimed" in text
    assert "Status: New → In triage" in text
    assert f"Claimed by: — → {operator.username}" in text
    assert "Victim added to the case" in text
    for raw in ("claimed_by", "claimed_at", "Case person", "first_claimed", "_"):
        assert raw not in text, raw
