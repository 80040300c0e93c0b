"""The encrypted container of a backup file: written and read as a stream, never whole in memory.

Fernet encrypts whole messages, so the stream is cut into frames: a magic line, then frames of a
4-byte length and a Fernet token (under settings.BACKUP_KEY, kept apart from the data keys). Each
token holds its frame's number and a "last" flag before the data, so a frame edited, dropped,
reordered or cut off, or bytes added after the last, is refused: Fernet's MAC proves each frame,
the numbers prove the order and the flag proves the end."""

from __future__ import annotations

import hashlib
import struct
from typing import BinaryIO

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"LANTERN-BACKUP 1\n"
FRAME_BYTES = 1024 * 1024
_LENGTH = struct.Struct(">I")
_HEADER = struct.Struct(">Q?")  # frame number, last frame
# a token of FRAME_BYTES plus its header, base64 with Fernet's overhead, and some margin
_MAX_TOKEN = (FRAME_BYTES + 1024) * 4 // 3 + 1024


class BackupDamagedError(Exception):
    """The file is not a backup this key opens whole: tampered with, cut short or another key."""


def _fernet() -> Fernet:
    """The backup key; ImproperlyConfigured when it is missing or not a Fernet key (checked
    before any work, so a backup never dumps a database it then cannot encrypt)."""
    if not settings.BACKUP_KEY:
        raise ImproperlyConfigured("BACKUP_KEY is not set: backups cannot be made or read.")
    try:
        return Fernet(settings.BACKUP_KEY)
    except ValueError:
        raise ImproperlyConfigured("BACKUP_KEY is not a Fernet key (32 bytes, base64).") from None


def check_key() -> None:
    _fernet()


class EncryptingWriter:
    """A write-only binary file that encrypts into `raw` frame by frame; `close` writes the last
    frame. `sha256` is the digest of every byte written to `raw` (the file's own checksum)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._fernet = _fernet()
        self._buffer = bytearray()
        self._number = 0
        self._hash = hashlib.sha256()
        self._emit(MAGIC)

    def _emit(self, data: bytes) -> None:
        self._raw.write(data)
        self._hash.update(data)

    def _frame(self, data: bytes, *, last: bool) -> None:
        token = self._fernet.encrypt(_HEADER.pack(self._number, last) + data)
        self._emit(_LENGTH.pack(len(token)) + token)
        self._number += 1

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) >= FRAME_BYTES:
            self._frame(bytes(self._buffer[:FRAME_BYTES]), last=False)
            del self._buffer[:FRAME_BYTES]
        return len(data)

    def close(self) -> None:
        self._frame(bytes(self._buffer), last=True)
        self._buffer.clear()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class DecryptingReader:
    """A read-only binary file of the plaintext inside `raw`; raises BackupDamagedError as soon
    as a frame does not open, and at the end unless the last frame was seen and nothing follows."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._fernet = _fernet()
        self._buffer = b""
        self._pos = 0
        self._number = 0
        self._done = False
        if raw.read(len(MAGIC)) != MAGIC:
            raise BackupDamagedError("This is not a Lantern backup file (its first line is wrong).")

    def _next_frame(self) -> bytes:
        length = self._raw.read(_LENGTH.size)
        if len(length) < _LENGTH.size:
            raise BackupDamagedError("The backup file is cut short: its last part is missing.")
        (size,) = _LENGTH.unpack(length)
        token = self._raw.read(size) if size <= _MAX_TOKEN else b""
        if len(token) != size or not token:
            raise BackupDamagedError("The backup file is cut short or damaged.")
        try:
            plain = self._fernet.decrypt(token)
        except InvalidToken:
            raise BackupDamagedError(
                "The backup file was changed, or BACKUP_KEY is not the key it was made with."
            ) from None
        number, last = _HEADER.unpack_from(plain)
        if number != self._number:
            raise BackupDamagedError("The backup file's parts are out of order or missing.")
        self._number += 1
        if last:
            self._done = True
            if self._raw.read(1):
                raise BackupDamagedError("The backup file has data after its end.")
        return plain[_HEADER.size :]

    def read(self, size: int = -1) -> bytes:
        # `_pos` walks the current frame, so a reader taking small blocks does not copy it again
        # and again
        parts = []
        while size != 0:
            if self._pos == len(self._buffer):
                if self._done:
                    break
                self._buffer, self._pos = self._next_frame(), 0
                continue
            end = len(self._buffer) if size < 0 else min(len(self._buffer), self._pos + size)
            parts.append(self._buffer[self._pos : end])
            size -= 0 if size < 0 else end - self._pos
            self._pos = end
        return b"".join(parts)
