"""Files Lantern keeps (call recordings, subject-access exports), encrypted before they are stored
(SECURITY DP-01) in storages["protected"]: the local filesystem, or S3-compatible object storage.

A file is a short header followed by frames: a 4-byte length and a Fernet token of at most 64 KiB
of plaintext, under the field keys (project.crypto.fernet: the first key encrypts, all decrypt).
Frames let a four-hour recording be written and played back without ever being whole in memory.
Only the Storage API is used (open, save, delete, exists), so S3 works like the filesystem.

Names are random: a name never says whose file it is or what is in it."""

from __future__ import annotations

import secrets
import struct
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages

from project.crypto import UndecryptableValueError, fernet

MAGIC = b"LANTERN-ENC1\n"
CHUNK = 64 * 1024
_LENGTH = struct.Struct(">I")
# Below this the encrypted copy is built in memory; above it, in a temporary file on disk.
_SPOOL_BYTES = 1024 * 1024


def _storage():
    return storages["protected"]


def _rechunk(chunks: Iterable[bytes] | bytes) -> Iterator[bytes]:
    """The input cut into pieces of CHUNK bytes, whatever sizes it came in."""
    if isinstance(chunks, bytes | bytearray):
        chunks = [bytes(chunks)]
    pending = b""
    for chunk in chunks:
        pending += chunk
        while len(pending) >= CHUNK:
            yield pending[:CHUNK]
            pending = pending[CHUNK:]
    if pending:
        yield pending


def _store(tokens: Iterable[bytes], name: str) -> str:
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        spool.write(MAGIC)
        for token in tokens:
            spool.write(_LENGTH.pack(len(token)))
            spool.write(token)
        spool.seek(0)
        return _storage().save(name, File(spool, name=name))


def _read_exact(handle: IO[bytes], size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = handle.read(size - len(data))
        if not piece:
            raise UndecryptableValueError("A protected file is cut short.")
        data += piece
    return data


def _tokens(handle: IO[bytes]) -> Iterator[bytes]:
    if _read_exact(handle, len(MAGIC)) != MAGIC:
        raise UndecryptableValueError("A protected file is not in Lantern's encrypted format.")
    while True:
        head = handle.read(_LENGTH.size)
        if not head:
            return
        if len(head) < _LENGTH.size:
            head += _read_exact(handle, _LENGTH.size - len(head))
        yield _read_exact(handle, _LENGTH.unpack(head)[0])


def _decrypt(keys: MultiFernet | Fernet, token: bytes) -> bytes:
    try:
        return keys.decrypt(token)
    except InvalidToken as exc:
        raise UndecryptableValueError(
            "A protected file holds a part no configured key opens."
        ) from exc


def _rotate(keys: MultiFernet, token: bytes) -> bytes:
    try:
        return keys.rotate(token)
    except InvalidToken as exc:
        raise UndecryptableValueError(
            "A protected file holds a part no configured key opens."
        ) from exc


def save_encrypted(chunks: Iterable[bytes] | bytes, *, prefix: str) -> str:
    """Encrypt `chunks` and store them under a new random name in `prefix/`; the stored name."""
    keys = fernet()
    name = f"{prefix.strip('/')}/{secrets.token_urlsafe(24)}.enc"
    return _store((keys.encrypt(piece) for piece in _rechunk(chunks)), name)


def open_decrypted(name: str) -> Iterator[bytes]:
    """The plaintext of a stored file, piece by piece. The file is opened and its first piece
    decrypted before this returns, so a missing file or a key that no longer opens it raises here
    (FileNotFoundError, UndecryptableValueError) rather than half-way through a response."""
    keys = fernet()
    handle = _storage().open(name, "rb")
    try:
        tokens = _tokens(handle)
        first = next(tokens, None)
        first_plain = b"" if first is None else _decrypt(keys, first)
    except BaseException:
        handle.close()
        raise

    def stream() -> Iterator[bytes]:
        with handle:
            if first_plain:
                yield first_plain
            for token in tokens:
                yield _decrypt(keys, token)

    return stream()


def delete(name: str) -> None:
    _storage().delete(name)


def exists(name: str) -> bool:
    return bool(name) and _storage().exists(name)


def under_first_key(name: str) -> bool:
    """Whether every part of a stored file opens with the first key alone (key rotation's check)."""
    first = Fernet(settings.FIELD_ENCRYPTION_KEYS[0])
    with _storage().open(name, "rb") as handle:
        try:
            for token in _tokens(handle):
                first.decrypt(token)
        except InvalidToken:
            return False
    return True


def reencrypt(name: str) -> None:
    """Encrypt a stored file again under the first key, keeping its name (key rotation).

    The new copy is stored first under a side name; only then is the old one replaced. If the
    process stops between the two, the side copy is still there and the next run finishes it."""
    storage = _storage()
    side = f"{name}.rotating"
    if not storage.exists(name) and storage.exists(side):
        _replace(side, name)
        if under_first_key(name):
            return
    keys = fernet()
    if storage.exists(side):
        storage.delete(side)
    with storage.open(name, "rb") as handle:
        _store((_rotate(keys, token) for token in _tokens(handle)), side)
    _replace(side, name)


def _replace(side: str, name: str) -> None:
    storage = _storage()
    with storage.open(side, "rb") as handle:
        storage.delete(name)
        saved = storage.save(name, File(handle, name=name))
    if saved != name:  # the storage renamed it: the references would point at nothing
        raise RuntimeError("The protected storage did not keep the file's name.")
    storage.delete(side)


def walk(path: str = "") -> Iterator[str]:
    """Every stored file's name (key rotation goes through them all), by the Storage API."""
    try:
        directories, files = _storage().listdir(path)
    except FileNotFoundError:  # nothing stored yet: the filesystem root is not even made
        return
    for name in files:
        yield f"{path}/{name}" if path else name
    for directory in directories:
        yield from walk(f"{path}/{directory}" if path else directory)
