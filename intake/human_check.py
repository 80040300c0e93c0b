"""A question a person answers in a moment, asked only when an address has sent more reports than
INTAKE_FORM_RATE allows (IN-05): the report is never dropped, it waits for the answer. No outside
service sees the reporter (no third-party CAPTCHA), and nothing is stored on our side.

The question travels with the form in a token signed with the server's secret: it names the
form's submission id and a keyed digest of the answer, never the answer itself. A right answer
stores that one report; since a submission id stores at most one report (a resend is the same
case), a solved question cannot be used for another report. Tokens last an hour.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "lantern.intake.human_check"
MAX_AGE_SECONDS = 3600
NUMBERS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
]

TOKEN_FIELD = "human_check"  # noqa: S105 - a field name
ANSWER_FIELD = "human_answer"


@dataclass(frozen=True)
class Challenge:
    question: str
    token: str


def new_challenge(submission_id: str) -> Challenge:
    first, second = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    nonce = secrets.token_urlsafe(12)
    token = signing.dumps(
        {"s": submission_id, "n": nonce, "a": _digest(nonce, first + second)}, salt=SALT
    )
    return Challenge(question=f"What is {NUMBERS[first]} plus {NUMBERS[second]}?", token=token)


def passed(token: str, answer: str, submission_id: str) -> bool:
    """A right answer to a question we asked, within the hour, for this very submission."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired included
        return False
    value = _number(answer)
    if not isinstance(data, dict) or data.get("s") != submission_id or value is None:
        return False
    return constant_time_compare(_digest(str(data.get("n", "")), value), str(data.get("a", "")))


def _number(answer: str) -> int | None:
    """ "7", " 7 ", "seven" or "Seven" are all seven."""
    text = answer.strip().lower()[:20]
    if text.isascii() and text.isdigit():
        return int(text)
    return NUMBERS.index(text) if text in NUMBERS else None


def _digest(nonce: str, value: int) -> str:
    return salted_hmac(SALT, f"{nonce}:{value}", algorithm="sha256").hexdigest()
