"""Backups of Lantern (SECURITY AV-07, C-8): the database and the protected files in one file,
encrypted with settings.BACKUP_KEY, written while Lantern runs.

The file `lantern-<UTC timestamp>.backup` is an encrypted stream (privacy.backup_stream) of a tar
holding three parts: manifest.json, the database (privacy.backup_database) and files.tar (privacy.
backup_files). The manifest says what the backup should give back: format version, when, the
database vendor, the latest migration per app, rows and a checksum per table and the sha256 of
each part.
privacy.restore reads it back."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.utils import timezone

from privacy import backup_database, backup_files
from privacy.backup_stream import EncryptingWriter

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES_PART = "files.tar"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str
    tables: int
    rows: int
    files: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _encrypt(parts: Path, names: list[str], target: Path) -> str:
    """Stream a tar of `names` through the encrypting writer into `target`; its sha256."""
    # readable by Lantern's own account only, like the keys that open it
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
        writer = EncryptingWriter(raw)
        with tarfile.open(fileobj=writer, mode="w|") as archive:
            for name in names:
                archive.add(parts / name, arcname=name)
        writer.close()
        raw.flush()
        os.fsync(raw.fileno())
    return writer.sha256


def create_backup(out_dir: Path) -> BackupResult:
    """Back up the configured database and the protected files into a new file in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    created = timezone.now()
    target = out_dir / f"lantern-{created:%Y%m%dT%H%M%SZ}.backup"
    if target.exists():
        raise FileExistsError(f"{target} exists already; try again in a second.")
    # the plaintext parts only ever sit in a private directory (0700), removed at the end
    with tempfile.TemporaryDirectory(prefix="lantern-backup-", dir=out_dir) as work:
        parts = Path(work)
        database_part = backup_database.part_name()
        state = backup_database.dump(parts / database_part)
        files = backup_files.write_tar(parts / FILES_PART)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": created.isoformat(),
            "vendor": connection.vendor,
            "migrations": state.migrations,
            "tables": state.counts,
            "table_checksums": state.checksums,
            "files": files,
            "parts": {name: file_sha256(parts / name) for name in (database_part, FILES_PART)},
        }
        (parts / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        partial = target.with_suffix(".partial")
        try:
            sha256 = _encrypt(parts, [MANIFEST, database_part, FILES_PART], partial)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        # a half-written backup never carries the final name
        partial.rename(target)
    return BackupResult(
        path=target,
        sha256=sha256,
        tables=len(state.counts),
        rows=sum(state.counts.values()),
        files=files,
    )
