"""Text files: delimited (CSV, TSV, any one-character delimiter, through the stdlib csv module)
and fixed-width (each line sliced by the profile's widths). Both decode the file incrementally in
the encoding the profile names or the one detected from its first 64 KB."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

import charset_normalizer

from feeds.readers.base import FileUnreadable, check_header, is_blank
from feeds.readers.values import header_key

if TYPE_CHECKING:
    from feeds.profiles import Profile

SAMPLE_BYTES = 64 * 1024
CANDIDATE_DELIMITERS = ",;|\t"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_NOT_TEXT = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")  # xlsx/zip, old .xls, PDF


def detect_encoding(sample: bytes, named: str) -> str:
    """The encoding to read the file in: the profile's (a UTF-8 BOM still dropped), else from a
    BOM, else UTF-8 when the sample decodes as UTF-8, else charset-normalizer's best guess."""
    has_bom = sample.startswith(codecs.BOM_UTF8)
    if named:
        return "utf-8-sig" if named == "utf-8" and has_bom else named
    if has_bom:
        return "utf-8-sig"
    if sample.startswith(_UTF16_BOMS):
        return "utf-16"
    if sample.startswith(_NOT_TEXT):
        raise FileUnreadable("The file is a spreadsheet, archive or document, not text.")
    try:
        # final=False: the sample may end inside a character
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        if b"\x00" not in sample:
            return "utf-8"
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        raise FileUnreadable(
            "The file's text encoding could not be recognised: name it in the profile "
            '("encoding", such as cp1252).'
        )
    # Short samples often read equally cleanly in several Windows code pages, and the guess
    # between them is close to chance; British forces' office software writes Windows-1252, so
    # it wins a tie (read as cp1250, the same bytes turn £ into Ł and è into č, unnoticed).
    cleanest = min(m.chaos for m in matches)
    if any(m.chaos == cleanest and "cp1252" in m.could_be_from_charset for m in matches):
        return "cp1252"
    return codecs.lookup(matches[0].encoding).name


class _TextRows:
    """What both text readers share: the encoding, the decoded stream and its faults."""

    def __init__(self, stream: BinaryIO, profile: Profile) -> None:
        self.profile = profile
        sample = stream.read(SAMPLE_BYTES)
        if not sample.strip():
            raise FileUnreadable("The file is empty.")
        self.encoding = detect_encoding(sample, profile.encoding)
        try:
            self.sample = codecs.getincrementaldecoder(self.encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            raise FileUnreadable(f"The file is not {self.encoding} text.") from None
        stream.seek(0)
        self.text = io.TextIOWrapper(stream, encoding=self.encoding, newline="")
        self.row = 0  # rows read so far, as a person counts them

    def close(self) -> None:
        self.text.detach()  # the caller closes the file itself

    def _broken(self, what: str) -> FileUnreadable:
        return FileUnreadable(f"The file cannot be read {what} after row {self.row}.")


class DelimitedRows(_TextRows):
    def __init__(self, stream: BinaryIO, profile: Profile) -> None:
        super().__init__(stream, profile)
        self.delimiter = profile.delimiter or self._detect_delimiter()
        self.reader = csv.reader(self.text, delimiter=self.delimiter)
        self.header = self._header()

    def _detect_delimiter(self) -> str:
        """csv.Sniffer's choice among , ; | and tab, kept only if the header it gives has the
        columns the profile needs; else the first candidate whose header does."""
        lines = self.sample.splitlines()[self.profile.skip_rows :]
        sample = "\n".join(lines[:-1] if len(lines) > 1 else lines)
        try:
            sniffed = csv.Sniffer().sniff(sample, delimiters=CANDIDATE_DELIMITERS).delimiter
        except csv.Error:
            sniffed = ""
        first = next((line for line in lines if line.strip()), "")
        for candidate in (sniffed, *CANDIDATE_DELIMITERS):
            if candidate and self._header_fits(first, candidate):
                return candidate
        return sniffed or ","  # check_header then says which columns are missing

    def _header_fits(self, line: str, delimiter: str) -> bool:
        header = next(csv.reader([line], delimiter=delimiter), [])
        try:
            check_header(self.profile, header)
        except FileUnreadable:
            return False
        return True

    def _header(self) -> list[str]:
        for record in self._records():
            if self.row > self.profile.skip_rows and not is_blank(record):
                check_header(self.profile, record)
                return record
        raise FileUnreadable("The file has no header row.")

    def _records(self) -> Iterator[list[str]]:
        try:
            for record in self.reader:
                self.row += 1
                yield record
        except UnicodeDecodeError:
            raise self._broken(f"as {self.encoding} text") from None
        except csv.Error:
            raise self._broken("as delimited text (a quote may never close)") from None

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        width = len(self.header)
        for record in self._records():
            if is_blank(record):
                continue
            # a short row's missing cells are blank; cells beyond the header have no name
            cells = record + [""] * (width - len(record))
            yield self.row, dict(zip(self.header, cells, strict=False))


class FixedWidthRows(_TextRows):
    """Lines cut into the profile's columns by width. A first line that reads as the column
    names is the header; otherwise the file has none and the widths name the columns."""

    def __init__(self, stream: BinaryIO, profile: Profile) -> None:
        super().__init__(stream, profile)
        self.names = [name for name, _ in profile.widths]
        self.spans = []
        start = 0
        for _, width in profile.widths:
            self.spans.append((start, start + width))
            start += width
        self.lines = self._lines()
        self.pending: list[str] | None = None
        for line in self.lines:
            if self.row <= profile.skip_rows or not line.strip():
                continue
            cells = self._cut(line)
            if [header_key(c) for c in cells] != [header_key(n) for n in self.names]:
                self.pending = cells  # no header: this is the first row
            break

    def _lines(self) -> Iterator[str]:
        try:
            for line in self.text:
                self.row += 1
                yield line.rstrip("\r\n")
        except UnicodeDecodeError:
            raise self._broken(f"as {self.encoding} text") from None

    def _cut(self, line: str) -> list[str]:
        return [line[start:end].strip() for start, end in self.spans]

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        if self.pending is not None:
            yield self.row, dict(zip(self.names, self.pending, strict=True))
            self.pending = None
        for line in self.lines:
            cells = self._cut(line)
            if not is_blank(cells):
                yield self.row, dict(zip(self.names, cells, strict=True))
