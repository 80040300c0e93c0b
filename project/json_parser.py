"""Request bodies for the API, with limits (SECURITY IN-06): a JSON body larger than
DATA_UPLOAD_MAX_MEMORY_SIZE, or nested deeper than MAX_DEPTH, is a 400 like any malformed body.
DRF's own parser reads the whole stream however long it is, and a deeply nested body makes Python's
decoder (or any code that walks the result) run out of recursion: a 500. A NUL character in any
value or key, JSON or form-encoded, is a 400 too: PostgreSQL refuses NUL in text, so a field that
looks a value up before any validator sees it (a list's code) failed the whole request with a 500."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

# No Lantern request nests more than a few levels; 32 leaves room without inviting recursion.
MAX_DEPTH = 32
NUL = "\x00"
NUL_REFUSED = "A value holds a NUL character"


class LimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise ParseError("JSON body too large")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ParseError("JSON parse error") from exc
        if _too_deep(data):
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels")
        return data


class NoNulFormParser(FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if any(NUL in key or any(NUL in value for value in data.getlist(key)) for key in data):
            raise ParseError(NUL_REFUSED)
        return data


class NoNulMultiPartParser(MultiPartParser):
    """A multipart body's values are held to the same rule (its files are bytes, left alone)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        data = parsed.data
        if any(NUL in key or any(NUL in value for value in data.getlist(key)) for key in data):
            raise ParseError(NUL_REFUSED)
        return parsed


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, JSON does not


def _too_deep(data: Any) -> bool:
    """Walked without recursion, so the check itself cannot fail on a deep value. A NUL in a
    string (or a key) is refused on the way (ParseError)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                raise ParseError(NUL_REFUSED)
            continue
        if isinstance(value, dict):
            if any(NUL in key for key in value):
                raise ParseError(NUL_REFUSED)
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
