"""What every reader shares: the refusal it raises, the rows it yields, the header check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from feeds.readers.values import header_key

if TYPE_CHECKING:
    from feeds.profiles import Profile


class FileUnreadable(Exception):  # noqa: N818 - the name the other feeds modules use
    """The file cannot be read as its profile says; `message` says why in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Rows(Protocol):
    encoding: str  # as detected or as the profile said; "" for a workbook

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]: ...

    def close(self) -> None: ...


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
