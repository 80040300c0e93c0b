"""What a masked detail shows in its place (UX.md 19): enough to tell one from another at a glance,
never enough to call, visit or identify someone. The values themselves reach a page only through
an audited reveal (cases.reveal) or a case file printed with them (cases.exports)."""

from __future__ import annotations

import re

import phonenumbers

from cases.models import Person

DOT = "•"
# The details masked on screen: each with the words a screen reader hears for the mask.
MASKED_FIELDS = {
    "phone": "Phone",
    "address": "Address",
    "date_of_birth": "Date of birth",
}
KEPT_DIGITS = 3
# A number shorter than this (an extension, a typing slip) is hidden whole: its last three digits
# would be most of it.
SHORTEST_KEPT = 7

# A UK postcode anywhere in an address: its outward part (district, "SW1A") is kept, as the case's
# area already says as much; the inward part ("1AA") narrows it to a street and is hidden.
_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*[0-9][A-Z]{2}\b", re.IGNORECASE)


def _dots(digits: str) -> str:
    return re.sub(r"[0-9]", DOT, digits)


def mask_phone(value: str) -> str:
    """ "+447700900123" -> "07••• •••123": the national form with all but its trunk prefix and last
    three digits hidden; another country's number keeps its country code ("+33 • •• •• •• 678")."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if len(digits) < SHORTEST_KEPT:
        return DOT * 3
    try:
        number = phonenumbers.parse(value, None if value.startswith("+") else "GB")
    except phonenumbers.NumberParseException:
        return _dots(digits[:-KEPT_DIGITS]) + digits[-KEPT_DIGITS:]
    if number.country_code == 44:
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        prefix, rest = shown[:2], shown[2:]  # "07", "700 900123"
    else:
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        prefix, _, rest = shown.partition(" ")  # "+33", "6 12 34 56 78"
        prefix += " "
    digits_seen = len(re.sub(r"\D", "", rest))
    if digits_seen <= KEPT_DIGITS:
        return prefix + _dots(rest)
    masked, left = [], digits_seen - KEPT_DIGITS
    for char in rest:
        if char.isdigit() and left:
            masked.append(DOT)
            left -= 1
        else:
            masked.append(char)
    return prefix + "".join(masked)


def mask_address(value: str) -> str:
    """ "12 Made-up Road, London SW1A 1AA" -> "•••• SW1A •••": the postcode district when there is
    one, else nothing of it."""
    if not value.strip():
        return ""
    postcodes = _POSTCODE.findall(value)
    if postcodes:
        return f"{DOT * 4} {postcodes[-1].upper()} {DOT * 3}"
    return DOT * 4


def mask_date_of_birth(value: str) -> str:
    """ "1985-03-14" -> "••/••/••••": nothing of it (the age, shown beside it, says enough)."""
    return f"{DOT * 2}/{DOT * 2}/{DOT * 4}" if value.strip() else ""


_MASKS = {
    "phone": mask_phone,
    "address": mask_address,
    "date_of_birth": mask_date_of_birth,
}


def masked(person: Person, field: str) -> str:
    """The masked form of one of a person's MASKED_FIELDS ("" when the person has none)."""
    return _MASKS[field](getattr(person, field) or "")


def shown(person: Person, field: str) -> str:
    """The value itself, for an audited reveal or a case file printed with contact details: a date
    of birth in the UK's day/month/year."""
    value = getattr(person, field) or ""
    if field == "date_of_birth" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        year, month, day = value.split("-")
        return f"{day}/{month}/{year}"
    return value
