"""JSON in the data.police.uk API's shape, streamed with ijson: a top-level array of crimes (or
of outcomes, each with its crime inside), or a single object (one row). Each item is flattened
to dotted keys ("location.latitude", "outcome_status.category", "crime.persistent_id") so a
profile maps them like any other column."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

import ijson

from feeds.readers.base import FileUnreadable, is_blank
from feeds.readers.text import SAMPLE_BYTES, detect_encoding
from feeds.readers.values import cell

if TYPE_CHECKING:
    from feeds.profiles import Profile


class JsonRows:
    def __init__(self, stream: BinaryIO, profile: Profile) -> None:
        sample = stream.read(SAMPLE_BYTES)
        if not sample.strip():
            raise FileUnreadable("The file is empty.")
        self.encoding = detect_encoding(sample, profile.encoding)
        stream.seek(0)
        if self.encoding in ("utf-8", "utf-8-sig"):
            if sample.startswith(codecs.BOM_UTF8):
                stream.seek(len(codecs.BOM_UTF8))
            self.source: Any = stream
        else:
            self.source = _AsUtf8(stream, self.encoding)
        first = self._first_character(sample)
        if first not in "[{":
            raise FileUnreadable("The file is not JSON (an array of items or one object).")
        self.prefix = "item" if first == "[" else ""
        self.row = 0

    def _first_character(self, sample: bytes) -> str:
        decoded = codecs.getincrementaldecoder(self.encoding)(errors="replace").decode(sample)
        stripped = decoded.lstrip("\ufeff \t\r\n")
        return stripped[:1] or " "

    def close(self) -> None:
        """The caller closes the file; nothing of its own to release."""

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        try:
            for item in ijson.items(self.source, self.prefix):
                self.row += 1
                if not isinstance(item, dict):
                    raise FileUnreadable(f"Item {self.row} of the file is not an object.")
                row = flatten(item)
                if not is_blank(list(row.values())):
                    yield self.row, row
        except ijson.JSONError:
            raise FileUnreadable(f"The file is not valid JSON after item {self.row}.") from None
        except UnicodeDecodeError:
            raise FileUnreadable(
                f"The file cannot be read as {self.encoding} text after item {self.row}."
            ) from None


class _AsUtf8:
    """A file in another encoding (UTF-16, Windows-1252) handed to ijson as the UTF-8 bytes it
    reads, re-encoded as they stream. Only `read`: ijson prefers `readinto` where a stream has one,
    and that would hand it the raw bytes."""

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder(encoding)()

    def read(self, size: int = -1) -> bytes:
        while True:
            chunk = self.stream.read(size)
            text = self.decoder.decode(chunk, final=not chunk)
            if text or not chunk:  # a chunk ending mid-character may decode to nothing yet
                return text.encode()


def flatten(item: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested objects as dotted keys; a list kept whole as JSON text (nothing in the police.uk
    shapes a profile maps is a list)."""
    flat: dict[str, str] = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = json.dumps(value, default=str, ensure_ascii=False)
        else:
            flat[name] = cell(value)
    return flat
