"""Phone numbers compared in one form: E.164."""

from __future__ import annotations

import phonenumbers
from django.conf import settings


def to_e164(raw: str) -> str:
    """The E.164 form of a phone number as people type it, or "" when it cannot be a number.
    "Possible" rather than "valid": reserved ranges (such as the drama numbers in tests) and new
    allocations still compare equal however they are typed."""
    try:
        number = phonenumbers.parse(raw, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
