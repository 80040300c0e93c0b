"""One cell's text turned into a canonical value (feeds.profiles.canonical calls these), and the
one way a column name is compared. Each failure is a `RowInvalid` naming the field and what is
wrong, never the value: a cell may hold a victim's name, phone number or address."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from project.phones import to_e164

MAX_CHARS = 500  # per value: longer is a broken row (a quote never closed), not a real field
MAX_REFERENCE_CHARS = 128  # FeedRecord.key
# C0 and C1 control characters; NUL is refused outright (PostgreSQL cannot store it), the rest
# (line breaks inside a quoted cell, stray tabs) become spaces.
_CONTROL = re.compile(r"[\x01-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_ISO_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# Excel counts days from 1899-12-30; serials in this window are 1954..2119, so a stray small
# number is never taken for a date.
_EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - a calendar origin, no zone involved
_EXCEL_SERIALS = (20000, 80000)
_MONTH_FORMATS = ("%Y-%m", "%Y/%m", "%m/%Y", "%m-%Y", "%b %Y", "%B %Y", "%b-%Y", "%B-%Y")
# Day first: these are UK forces' files.
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d %b %Y", "%d %B %Y")
_TIME_FORMATS = ("", " %H:%M", " %H:%M:%S", " %H.%M", "T%H:%M", "T%H:%M:%S")
_email = EmailValidator()


class RowInvalid(Exception):  # noqa: N818 - the name the other feeds modules use
    """A row that cannot become a canonical record: `field` and a `message` in words (without the
    value), as the row-error report shows them."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def header_key(name: str) -> str:
    """A column name as compared with the profile's: case, surrounding spaces, a BOM and
    underscores versus spaces do not matter ("Crime ID", " crime_id", "CRIME ID")."""
    return " ".join(name.replace("\ufeff", "").replace("_", " ").split()).casefold()


def text(field: str, raw: str | None) -> str:
    """Trimmed text with control characters turned into spaces; "" when blank."""
    if not raw:
        return ""
    if raw.isprintable() and "  " not in raw:  # most cells: nothing to clean but the ends
        cleaned = raw.strip()
    elif "\x00" in raw:
        raise RowInvalid(field, "contains a NUL character")
    else:
        cleaned = _SPACES.sub(" ", _CONTROL.sub(" ", raw)).strip()
    if len(cleaned) > MAX_CHARS:
        raise RowInvalid(field, f"is longer than {MAX_CHARS} characters")
    return cleaned


def reference(field: str, raw: str) -> str:
    if len(raw) > MAX_REFERENCE_CHARS:
        raise RowInvalid(field, f"is longer than {MAX_REFERENCE_CHARS} characters")
    return raw


def month(field: str, raw: str, extra_formats: tuple[str, ...] = ()) -> str:
    """The month as "YYYY-MM", from 2017-06, 06/2017, Jun 2017, June 2017 or any date."""
    if _ISO_MONTH.fullmatch(raw):  # police.uk's own form: most rows, and quick
        return raw
    for fmt in (*extra_formats, *_MONTH_FORMATS):
        try:
            return datetime.strptime(raw, fmt).strftime("%Y-%m")  # noqa: DTZ007 - a month
        except ValueError:
            continue
    try:
        return _datetime(raw, extra_formats).strftime("%Y-%m")
    except ValueError:
        raise RowInvalid(field, "is not a month (such as 2017-06 or 06/2017)") from None


def moment(field: str, raw: str, extra_formats: tuple[str, ...] = ()) -> str:
    """An ISO date and time with its offset. A time without a zone is local (TIME_ZONE): forces
    record UK times. A date alone is taken as local midnight."""
    try:
        value = _datetime(raw, extra_formats)
    except ValueError:
        raise RowInvalid(field, "is not a date (such as 01/06/2017 or 2017-06-01 13:40)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return value.isoformat()


def _datetime(raw: str, extra_formats: tuple[str, ...]) -> datetime:
    for fmt in extra_formats:
        try:
            return datetime.strptime(raw, fmt)  # noqa: DTZ007 - zone added by the caller
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        pass
    for day in _DATE_FORMATS:
        for clock in _TIME_FORMATS:
            try:
                return datetime.strptime(raw, day + clock)  # noqa: DTZ007 - zone added by the caller
            except ValueError:
                continue
    serial = _number(raw, ".")
    if serial is not None and _EXCEL_SERIALS[0] <= serial <= _EXCEL_SERIALS[1]:
        # to the second: a serial's binary fraction is never exactly the minute it was typed as
        return _EXCEL_EPOCH + timedelta(seconds=round(serial * 86400))
    raise ValueError(raw)


def _number(raw: str, decimal: str) -> Decimal | None:
    candidate = raw.replace(",", ".") if decimal == "," else raw
    try:
        value = Decimal(candidate)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def number(field: str, raw: str, *, decimal: str, low: int, high: int) -> str:
    """A decimal string ("51.518226"), the profile's decimal mark read, within [low, high]."""
    value = _number(raw, decimal)
    if value is None:
        raise RowInvalid(field, "is not a number")
    if not low <= value <= high:
        raise RowInvalid(field, f"is outside {low} to {high}")
    return format(value.normalize(), "f")  # "51.4800" and "51.48" are the same place


def phone(field: str, raw: str) -> str:
    e164 = to_e164(raw)
    if not e164:
        raise RowInvalid(field, "is not a phone number")
    return e164


def email(field: str, raw: str) -> str:
    try:
        _email(raw)
    except ValidationError:
        raise RowInvalid(field, "is not an email address") from None
    return raw


def uprn(field: str, raw: str) -> str:
    """A Unique Property Reference Number: 1 to 12 digits, without leading zeros or a ".0" a
    spreadsheet may have added."""
    digits = raw[:-2] if raw.endswith(".0") else raw
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 12:
        raise RowInvalid(field, "is not a UPRN (up to 12 digits)")
    return str(int(digits))


def postcode(field: str, raw: str) -> str:
    """Upper case with one space before the inward code, as Royal Mail writes it."""
    compact = raw.replace(" ", "").upper()
    if not (compact.isascii() and compact.isalnum()) or not 5 <= len(compact) <= 7:
        raise RowInvalid(field, "is not a postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def cell(value: object) -> str:
    """A spreadsheet or JSON value as the text a CSV would hold: integers without ".0", dates and
    times in ISO, True/False as words, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
