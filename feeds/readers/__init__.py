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
from typing import TYPE_CHECKING

from feeds.readers.base import FileUnreadable, Rows
from feeds.readers.json_api import JsonRows
from feeds.readers.text import DelimitedRows, FixedWidthRows
from feeds.readers.workbook import WorkbookRows

if TYPE_CHECKING:
    from feeds.profiles import Profile

__all__ = ["FileUnreadable", "Rows", "open_rows"]

_READERS = {
    "csv": DelimitedRows,
    "tsv": DelimitedRows,
    "fixed": FixedWidthRows,
    "xlsx": WorkbookRows,
    "json": JsonRows,
}


@contextmanager
def open_rows(path: Path, profile: Profile) -> Iterator[Rows]:
    """The rows of the file at `path`, read as `profile` says; the file is closed on leaving."""
    with Path(path).open("rb") as stream:
        rows = _READERS[profile.format](stream, profile)
        try:
            yield rows
        finally:
            rows.close()
