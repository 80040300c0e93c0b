"""A feed source's profile: how to read its files (CONTRACT "Police and partner feeds") and the
canonical record each row becomes. `parse_profile` checks a profile and says every problem at
once; `canonical` turns one row (column name -> text, from feeds.readers) into a `Canonical`
record or raises `RowInvalid`; `content_hash` and `needs_contact` are what the engine keys and
decides on. Nothing here touches the database."""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from feeds.readers import values
from feeds.readers.values import RowInvalid, header_key

__all__ = [
    "CRIME_FIELDS",
    "PERSONAL_FIELDS",
    "PLACE_FIELDS",
    "Canonical",
    "Profile",
    "ProfileError",
    "RowInvalid",
    "canonical",
    "content_hash",
    "lantern_category",
    "needs_contact",
    "parse_profile",
]

CRIME_FIELDS = (
    "crime_reference",
    "month",
    "occurred_at",
    "reported_by",
    "force",
    "category",
    "location",
    "latitude",
    "longitude",
    "lsoa_code",
    "lsoa_name",
    "outcome",
    "context",
)
# Kept apart (encrypted on the record), never in `Canonical.data`, logs or row errors.
PERSONAL_FIELDS = ("victim_name", "victim_phone", "victim_email", "victim_address")
PLACE_FIELDS = ("uprn", "address", "postcode", "latitude", "longitude", "easting", "northing")

FORMATS = ("csv", "tsv", "xlsx", "fixed", "json")
KINDS = {"crimes": CRIME_FIELDS + PERSONAL_FIELDS, "places": PLACE_FIELDS}
# A file without these columns cannot be matched row by row (feeds.readers refuses it).
REQUIRED = {"crimes": ("crime_reference", "month"), "places": ("uprn",)}
CASE_WHEN = ("contact", "never", "always")
_SETTINGS = {
    "format",
    "delimiter",
    "decimal",
    "encoding",
    "sheet",
    "skip_rows",
    "widths",
    "columns",
    "case_when",
    "categories",
    "date_formats",
    "description",
}
_MAX_SKIP_ROWS = 100


class ProfileError(ValueError):
    """Every problem found in a profile, each a sentence an admin can act on."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


# eq=False: a profile is hashed by identity, so the column plan of each file header it reads is
# worked out once (canonical() is called for every row of every file).
@dataclass(frozen=True, eq=False)
class Profile:
    """A checked profile (only parse_profile makes one); `raw` is the JSON it was read from."""

    format: str
    columns: dict[str, tuple[str, ...]]
    kind: str = "crimes"
    delimiter: str = ""  # "" = detect (csv); tsv is always a tab
    decimal: str = "."
    encoding: str = ""  # "" = detect
    sheet: str | int = 0
    skip_rows: int = 0
    widths: tuple[tuple[str, int], ...] = ()
    case_when: str = "contact"  # or "categories": contact rows of `case_categories` only
    case_categories: frozenset[str] = frozenset()  # case-folded
    categories: dict[str, str] = field(default_factory=dict)  # source category -> Category code
    date_formats: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> tuple[str, ...]:
        return REQUIRED[self.kind]


@dataclass(frozen=True)
class Canonical:
    """One row in canonical form. `data`: every mapped non-personal field as a JSON-safe string
    (None when blank); `personal`: the victim fields that have a value; `reference`: the crime
    reference (the UPRN for places), "" when the row has none."""

    data: dict[str, str | None]
    personal: dict[str, str]
    reference: str


def parse_profile(data: Mapping[str, Any], *, kind: str = "crimes") -> Profile:
    """The profile `data` describes, or ProfileError listing every problem in it."""
    if kind not in KINDS:
        raise ProfileError([f'"{kind}" is not a kind of source (crimes or places).'])
    if not isinstance(data, Mapping):
        raise ProfileError(["A profile is a JSON object of settings."])
    problems: list[str] = [
        f'"{key}" is not a profile setting.' for key in sorted(set(data) - _SETTINGS, key=str)
    ]
    fmt = data.get("format")
    if fmt is None:
        problems.append('"format" is missing: say csv, tsv, xlsx, fixed or json.')
    elif fmt not in FORMATS:
        problems.append('"format" must be one of csv, tsv, xlsx, fixed or json.')
    widths = _widths(data, fmt, problems)
    columns = _columns(data.get("columns"), kind, widths, problems)
    settings = {
        "delimiter": _delimiter(data, fmt, problems),
        "decimal": _decimal(data, problems),
        "encoding": _encoding(data, problems),
        "sheet": _sheet(data, fmt, problems),
        "skip_rows": _skip_rows(data, problems),
        "categories": _categories(data, problems),
        "date_formats": _date_formats(data, problems),
    }
    case_when, case_categories = _case_when(data, kind, problems)
    if settings["decimal"] == "," and settings["delimiter"] == ",":
        problems.append("A comma cannot be both the delimiter and the decimal mark.")
    if problems:
        raise ProfileError(problems)
    return Profile(
        format=fmt,
        columns=columns,
        kind=kind,
        widths=widths,
        case_when=case_when,
        case_categories=case_categories,
        raw=dict(data),
        **settings,
    )


def _columns(
    value: object, kind: str, widths: tuple[tuple[str, int], ...], problems: list[str]
) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping) or not value:
        problems.append('"columns" is missing: map each canonical field to its column name.')
        return {}
    columns: dict[str, tuple[str, ...]] = {}
    for name, source in value.items():
        if name not in KINDS[kind]:
            problems.append(f'"{name}" is not a canonical field of {kind} sources.')
            continue
        names = (source,) if isinstance(source, str) else source
        if not isinstance(names, list | tuple) or not names:
            problems.append(f'Column of "{name}" must be a name or a list of names.')
            continue
        if not all(isinstance(n, str) and header_key(n) for n in names):
            problems.append(f'Column of "{name}" must be a name or a list of names.')
            continue
        columns[name] = tuple(names)
    problems.extend(
        f'"columns" has no column for "{name}", which every {kind} file needs.'
        for name in REQUIRED[kind]
        if name not in value
    )
    if widths:
        known = {header_key(n) for n, _ in widths}
        problems.extend(
            f'Column of "{name}" is not one of the names in "widths".'
            for name, names in columns.items()
            if not any(header_key(n) in known for n in names)
        )
    return columns


def _widths(data: Mapping[str, Any], fmt: object, problems: list[str]) -> tuple:
    value = data.get("widths")
    if fmt != "fixed":
        if value is not None:
            problems.append('"widths" is only for the fixed format.')
        return ()
    pairs = value if isinstance(value, list) and value else None
    ok = pairs is not None and all(
        isinstance(p, list | tuple)
        and len(p) == 2
        and isinstance(p[0], str)
        and header_key(p[0])
        and isinstance(p[1], int)
        and not isinstance(p[1], bool)
        and p[1] > 0
        for p in pairs
    )
    if not ok:
        problems.append('"widths" must list [column name, width] pairs in order (fixed format).')
        return ()
    if len({header_key(name) for name, _ in pairs}) != len(pairs):
        problems.append('"widths" names each column once.')
    return tuple((name, width) for name, width in pairs)


def _delimiter(data: Mapping[str, Any], fmt: object, problems: list[str]) -> str:
    value = data.get("delimiter")
    if fmt == "tsv":
        if value not in (None, "\t"):
            problems.append('"delimiter" of a tsv file is always a tab.')
        return "\t"
    if value is None:
        return ""
    if fmt != "csv":
        problems.append('"delimiter" is only for the csv format.')
    elif not isinstance(value, str) or len(value) != 1 or value in '"\r\n':
        problems.append('"delimiter" must be one character (not a quote or a line break).')
    return value if isinstance(value, str) else ""


def _decimal(data: Mapping[str, Any], problems: list[str]) -> str:
    value = data.get("decimal", ".")
    if value not in (".", ","):
        problems.append('"decimal" must be "." or ",".')
        return "."
    return value


def _encoding(data: Mapping[str, Any], problems: list[str]) -> str:
    value = data.get("encoding")
    if value is None:
        return ""
    try:
        return codecs.lookup(value).name if isinstance(value, str) else ""
    except LookupError:
        pass
    problems.append('"encoding" is not a text encoding Python knows (such as utf-8 or cp1252).')
    return ""


def _sheet(data: Mapping[str, Any], fmt: object, problems: list[str]) -> str | int:
    value = data.get("sheet")
    if value is None:
        return 0
    if fmt != "xlsx":
        problems.append('"sheet" is only for the xlsx format.')
    elif (
        isinstance(value, bool)
        or not isinstance(value, str | int)
        or value in ("", -1)
        or isinstance(value, int)
        and value < 0
    ):
        problems.append('"sheet" must be a sheet name or its position (0 for the first).')
    return value if isinstance(value, str | int) else 0


def _is_sheet(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and value >= 0)


def _skip_rows(data: Mapping[str, Any], problems: list[str]) -> int:
    value = data.get("skip_rows", 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_SKIP_ROWS:
        problems.append(f'"skip_rows" must be a whole number from 0 to {_MAX_SKIP_ROWS}.')
        return 0
    return value


def _categories(data: Mapping[str, Any], problems: list[str]) -> dict[str, str]:
    value = data.get("categories", {})
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        problems.append('"categories" must map each source category to a Lantern category code.')
        return {}
    return dict(value)


def _date_formats(data: Mapping[str, Any], problems: list[str]) -> tuple[str, ...]:
    value = data.get("date_formats", [])
    if not isinstance(value, list) or not all(isinstance(f, str) and "%" in f for f in value):
        problems.append('"date_formats" must list strptime formats (such as "%d/%m/%Y %H:%M").')
        return ()
    return tuple(value)


def _case_when(
    data: Mapping[str, Any], kind: str, problems: list[str]
) -> tuple[str, frozenset[str]]:
    value = data.get("case_when")
    if value is None:
        return "contact", frozenset()
    if kind != "crimes":
        problems.append('"case_when" is only for crimes sources.')
    elif value in CASE_WHEN:
        return value, frozenset()
    elif (
        isinstance(value, Mapping)
        and set(value) == {"categories"}
        and isinstance(value["categories"], list)
        and value["categories"]
        and all(isinstance(c, str) and c for c in value["categories"])
    ):
        return "categories", frozenset(c.casefold() for c in value["categories"])
    else:
        problems.append(
            '"case_when" must be "contact", "never", "always" or {"categories": [...]}.'
        )
    return "contact", frozenset()


# Rows ---------------------------------------------------------------------------------------------


def canonical(profile: Profile, row: Mapping[str, str]) -> Canonical:
    """The canonical record of one row, or RowInvalid for its first bad field."""
    data: dict[str, str | None] = {}
    personal: dict[str, str] = {}
    for name, key, convert, is_personal in _plan(profile, tuple(row)):
        value = values.text(name, row[key]) if key is not None else ""
        if value and convert is not None:
            value = convert(profile, name, value)
        if is_personal:
            if value:
                personal[name] = value
        else:
            data[name] = value or None
    if data.get("latitude") is None and data.get("longitude") is not None:
        raise RowInvalid("latitude", "is missing while longitude is given")
    if data.get("longitude") is None and data.get("latitude") is not None:
        raise RowInvalid("longitude", "is missing while latitude is given")
    for name in profile.required:
        if name != "crime_reference" and not data.get(name):
            raise RowInvalid(name, "is missing")
    key_field = "crime_reference" if profile.kind == "crimes" else "uprn"
    return Canonical(data=data, personal=personal, reference=data.get(key_field) or "")


Converter = Callable[["Profile", str, str], str]


@lru_cache(maxsize=256)
def _plan(
    profile: Profile, header: tuple[str, ...]
) -> tuple[tuple[str, str | None, Converter | None, bool], ...]:
    """For each mapped field: the row key holding it (the first alternative the header has, or
    None), its converter and whether it is personal. Worked out once per header, not per row."""
    by_key: dict[str, str] = {}
    for key in header:
        by_key.setdefault(header_key(key), key)
    return tuple(
        (
            name,
            next((by_key[k] for k in map(header_key, names) if k in by_key), None),
            _CONVERTERS.get(name),
            name in PERSONAL_FIELDS,
        )
        for name, names in profile.columns.items()
    )


_CONVERTERS: dict[str, Converter] = {
    "crime_reference": lambda p, n, r: values.reference(n, r),
    "month": lambda p, n, r: values.month(n, r, p.date_formats),
    "occurred_at": lambda p, n, r: values.moment(n, r, p.date_formats),
    "latitude": lambda p, n, r: values.number(n, r, decimal=p.decimal, low=-90, high=90),
    "longitude": lambda p, n, r: values.number(n, r, decimal=p.decimal, low=-180, high=180),
    "easting": lambda p, n, r: values.number(n, r, decimal=p.decimal, low=0, high=800_000),
    "northing": lambda p, n, r: values.number(n, r, decimal=p.decimal, low=0, high=1_400_000),
    "victim_phone": lambda p, n, r: values.phone(n, r),
    "victim_email": lambda p, n, r: values.email(n, r),
    "uprn": lambda p, n, r: values.uprn(n, r),
    "postcode": lambda p, n, r: values.postcode(n, r),
}


def content_hash(c: Canonical) -> str:
    """SHA-256 (hex) of the record's content, the same whatever order its fields came in."""
    body = json.dumps(
        {"data": c.data, "personal": c.personal},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def lantern_category(profile: Profile, c: Canonical) -> str:
    """The Lantern Category code the profile maps the row's category to, or "" (exact text
    first, then ignoring case)."""
    source = c.data.get("category") or ""
    if source in profile.categories:
        return profile.categories[source]
    folded = source.casefold()
    return next((v for k, v in profile.categories.items() if k.casefold() == folded), "")


def needs_contact(profile: Profile, c: Canonical) -> bool:
    """Whether the row becomes a case (the profile's `case_when`). "contact" (the default): rows
    with a victim phone or email; {"categories": [...]}: those rows only when their category (as
    the source writes it, or the Lantern code it maps to) is listed."""
    if profile.case_when == "never":
        return False
    if profile.case_when == "always":
        return True
    contact = bool(c.personal.get("victim_phone") or c.personal.get("victim_email"))
    if profile.case_when == "contact" or not contact:
        return contact
    source = (c.data.get("category") or "").casefold()
    return bool({source, lantern_category(profile, c).casefold()} & profile.case_categories)
