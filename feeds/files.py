"""Where feed files wait for their import: under settings.FEED_FILES_DIR, each under a random name
(never the name it came with), readable only by Lantern (they may hold victims' contact details).
A file is kept until its batch finishes, so a worker that restarts mid-import can read it again,
and deleted then; a dry run's file is kept FEED_DRY_RUN_KEEP_HOURS for "Import for real", then
swept."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

BLOCK = 1024 * 1024


class FileTooLargeError(Exception):
    """The file is over the limit; nothing of it was kept."""


@dataclass(frozen=True)
class StoredFile:
    name: str  # what ImportBatch.stored_file holds: a name inside FEED_FILES_DIR
    checksum: str  # SHA-256 of the bytes, hex
    size: int


def folder() -> Path:
    path = Path(settings.FEED_FILES_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def store(upload: BinaryIO, *, max_bytes: int) -> StoredFile:
    """Copy the upload in blocks, hashing as it goes. Over `max_bytes`: FileTooLargeError, and the
    partial copy is removed."""
    name = secrets.token_hex(16)
    path = folder() / name
    digest = hashlib.sha256()
    size = 0
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            while block := upload.read(BLOCK):
                size += len(block)
                if size > max_bytes:
                    raise FileTooLargeError
                digest.update(block)
                out.write(block)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredFile(name=name, checksum=digest.hexdigest(), size=size)


def path_of(name: str) -> Path:
    """The stored file's path. Only a bare name is accepted, so a stored value never points
    outside the folder."""
    if not name or Path(name).name != name or name.startswith("."):
        raise FileNotFoundError("not a stored feed file")
    return Path(settings.FEED_FILES_DIR) / name


def discard(name: str) -> None:
    if name:
        path_of(name).unlink(missing_ok=True)


def sweep() -> int:
    """Delete the files of dry runs older than FEED_DRY_RUN_KEEP_HOURS (the feeds' hourly job);
    returns how many went."""
    from django.utils import timezone

    from feeds.models import ImportBatch

    since = timezone.now() - timedelta(hours=settings.FEED_DRY_RUN_KEEP_HOURS)
    stale = ImportBatch.objects.filter(dry_run=True, finished_at__lt=since).exclude(stored_file="")
    gone = 0
    for batch in stale.only("pk", "stored_file"):
        discard(batch.stored_file)
        ImportBatch.objects.filter(pk=batch.pk).update(stored_file="")
        gone += 1
    return gone
