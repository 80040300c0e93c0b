"""Reading a feed file row by row, whatever shape its source sends it in (CSV, TSV, fixed-width
text, XLSX, police.uk API JSON), in constant memory: each reader streams from the open file.

    with open_rows(path, profile) as rows:
        for row_number, row in rows:   # row: the file's column names -> text
            ...

`row_number` is the row as a person counts it in the file (the header is row 1 unless the
profile skips title rows; JSON counts items). Rows whose values are all blank are skipped. A file
that is not what its profile says raises FileUnreadable, on opening or, for a fault further into
the file, while iterating; its message is in words and never quotes the file's content."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from feeds.readers.values import header_key

if TYPE_CHECKING:
    from feeds.profiles import Profile

__all__ = ["FileUnreadable", "Rows", "check_header", "open_rows"]


class FileUnreadable(Exception):  # noqa: N818 - the name the other feeds modules use
    """The file cannot be read as its profile says; `message` says why in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Rows(Protocol):
    encoding: str  # as detected or as the profile said; "" for a workbook

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]: ...


@contextmanager
def open_rows(path: Path, profile: Profile) -> Iterator[Rows]:
    """The rows of the file at `path`, read as `profile` says; the file is closed on leaving."""
    from feeds.readers import json_api, text, workbook

    openers = {
        "csv": text.DelimitedRows,
        "tsv": text.DelimitedRows,
        "fixed": text.FixedWidthRows,
        "xlsx": workbook.WorkbookRows,
        "json": json_api.JsonRows,
    }
    with Path(path).open("rb") as stream:
        rows = openers[profile.format](stream, profile)
        try:
            yield rows
        finally:
            rows.close()


def check_header(profile: Profile, header: list[str]) -> None:
    """FileUnreadable unless the header has a column for each field every row is matched on."""
    have = {header_key(name) for name in header}
    missing = [
        f'"{field}" (looked for {" or ".join(repr(n) for n in profile.columns[field])})'
        for field in profile.required
        if not any(header_key(n) in have for n in profile.columns[field])
    ]
    if missing:
        raise FileUnreadable(
            f"The file has no column for {', '.join(missing)}: is it the right file for this "
            "source, and does the profile name its columns as the file does?"
        )


def is_blank(values: list[str]) -> bool:
    return not any(v.strip() for v in values)
