"""XLSX workbooks through openpyxl in read-only mode (rows are streamed from the zip, not
loaded), values rather than formulas; numbers and dates become the text a CSV would hold."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from feeds.readers.base import FileUnreadable, check_header, is_blank
from feeds.readers.values import cell

if TYPE_CHECKING:
    from feeds.profiles import Profile


class WorkbookRows:
    encoding = ""  # a workbook's text has no encoding to detect

    def __init__(self, stream: BinaryIO, profile: Profile) -> None:
        try:
            self.book = load_workbook(stream, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
            raise FileUnreadable("The file is not an Excel workbook (xlsx).") from None
        sheet = profile.sheet
        try:
            self.sheet = self.book[sheet] if isinstance(sheet, str) else self.book.worksheets[sheet]
        except (KeyError, IndexError):
            self.book.close()
            raise FileUnreadable(f"The workbook has no sheet {sheet!r}.") from None
        # Read-only mode stops at the used range the file states, which some exporters get
        # wrong (A1:A1): forgetting it reads every row the sheet really has.
        self.sheet.reset_dimensions()
        self.row = 0
        self.rows = self._rows()
        self.header: list[str] = []
        for values in self.rows:
            if self.row > profile.skip_rows and not is_blank(values):
                self.header = values
                break
        if not self.header:
            self.book.close()
            raise FileUnreadable("The sheet has no header row.")
        try:
            check_header(profile, self.header)
        except FileUnreadable:
            self.book.close()
            raise

    def _rows(self) -> Iterator[list[str]]:
        try:
            for values in self.sheet.iter_rows(values_only=True):
                self.row += 1
                yield [cell(v) for v in values]
        except (zipfile.BadZipFile, KeyError, ValueError):
            raise FileUnreadable(f"The workbook cannot be read after row {self.row}.") from None

    def close(self) -> None:
        self.book.close()

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        width = len(self.header)
        for values in self.rows:
            if is_blank(values):
                continue
            cells = values + [""] * (width - len(values))
            yield self.row, dict(zip(self.header, cells, strict=False))
