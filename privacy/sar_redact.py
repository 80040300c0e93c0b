"""Third parties out of a subject access export (SECURITY DP-10): every value that identifies
someone else on the subject's cases (a perpetrator, another victim, a reporter), wherever it
appears in free text, becomes "[another person]".

What counts as identifying: each other person's full name and each word of it (a first name alone
still names someone), their phone numbers in international and national form, addresses, dates of
birth, contact details and reference numbers. A word of a name the subject shares (a family name)
is left: it says nothing about anyone the subject does not already know."""

from __future__ import annotations

import re
from collections.abc import Iterable

from cases.models import Person

ANOTHER_PERSON = "[another person]"
# Shorter name words ("Al", "Jo") would blank ordinary words too; the full name still goes.
_MIN_NAME_WORD = 3


def _phone_pattern(phone: str) -> str | None:
    """A UK number as written either way (+44 7700 900123, 07700900123), spaces or dashes between
    digits allowed; other numbers as stored, digits with the same separators."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return None
    forms = [digits]
    if digits.startswith("44"):
        forms.append("0" + digits[2:])
    joined = (r"[\s-]?".join(re.escape(d) for d in form) for form in forms)
    return r"(?<!\d)\+?(?:" + "|".join(joined) + r")(?!\d)"


def _name_words(name: str) -> set[str]:
    return {word.casefold() for word in re.findall(r"\w+", name) if len(word) >= _MIN_NAME_WORD}


class Redactor:
    """Built once per export from the subject and the other people on their cases."""

    def __init__(self, subject: Person, others: Iterable[Person]) -> None:
        own_words = _name_words(subject.name)
        literals: set[str] = set()
        words: set[str] = set()
        phones: list[str] = []
        for person in others:
            literals.update(v.strip() for v in (person.name, person.address) if v.strip())
            literals.update(v.strip() for v in (person.date_of_birth,) if v.strip())
            words |= _name_words(person.name) - own_words
            values = [c.value for c in person.contacts.all()]
            values += [r.value for r in person.references.all()]
            literals.update(v.strip() for v in values if v.strip())
            phones += [person.phone, *values]
        patterns = [re.escape(v) for v in sorted(literals, key=len, reverse=True)]
        patterns += [p for p in (_phone_pattern(v) for v in phones if v) if p]
        patterns += [
            r"\b" + re.escape(word) + r"\b" for word in sorted(words, key=len, reverse=True)
        ]
        self._pattern = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def __call__(self, text: str) -> str:
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(ANOTHER_PERSON, text)
