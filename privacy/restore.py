"""Restoring a backup made by privacy.backups (SECURITY C-8, DP-09 restore).

Everything is checked before anything is touched: every frame of the file opens with BACKUP_KEY
(an edited or cut-short file stops here), each part matches the manifest's sha256, the database
is of the same vendor and this code knows every migration in the backup. Then the database and
the protected files come back, the erasures made since the backup are made again (the ledger
lives outside the backups), and the audit chain is checked."""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from cases import audit_chain
from privacy import backup_database, backup_files
from privacy.backup_stream import BackupDamagedError, DecryptingReader
from privacy.backups import FILES_PART, FORMAT_VERSION, MANIFEST, file_sha256
from privacy.erasure import reapply_erasures


class RestoreRefusedError(Exception):
    """The backup cannot be restored here; nothing was changed."""


@dataclass
class RestoreSummary:
    manifest: dict[str, Any]
    tables: dict[str, tuple[int, int]]  # table: (rows in the manifest, rows restored)
    changed: list[str]  # tables whose rows' checksum is not the manifest's
    files: int
    files_not_in_backup: int
    erased_again: int  # people erased since the backup, erased again (settings.ERASURE_LEDGER)
    audit: audit_chain.ChainCheck
    migrated: bool  # the backup's schema was older: migrated after the restore
    seconds: float

    @property
    def mismatched(self) -> list[str]:
        """Tables not as they were backed up: other row counts or other rows."""
        counted = {table for table, (expected, got) in self.tables.items() if expected != got}
        return sorted(counted | set(self.changed))


def _unpack(path: Path, into: Path, *, expected_sha256: str | None) -> dict[str, Any]:
    """Decrypt the whole file into `into` and check it; returns the manifest."""
    if expected_sha256 and file_sha256(path) != expected_sha256.lower():
        raise RestoreRefusedError("The backup file's sha256 is not the one given.")
    allowed = {MANIFEST, FILES_PART, "database.dump", "database.sqlite3"}
    with path.open("rb") as raw:
        try:
            reader = DecryptingReader(raw)
            with tarfile.open(fileobj=reader, mode="r|") as archive:
                for member in archive:
                    if member.name not in allowed or not member.isfile():
                        raise RestoreRefusedError(f"The backup holds an unexpected {member.name}.")
                    with (into / member.name).open("wb") as out:
                        source = archive.extractfile(member)
                        for block in iter(lambda s=source: s.read(1024 * 1024), b""):
                            out.write(block)
            # tar may stop before the stream's end: read on, so a cut-off end is found too
            while reader.read(1024 * 1024):
                pass
        except BackupDamagedError as exc:
            raise RestoreRefusedError(str(exc)) from None
        except tarfile.TarError:
            raise RestoreRefusedError("The backup's contents are not readable.") from None
    if not (into / MANIFEST).exists():
        raise RestoreRefusedError("The backup has no manifest.")
    manifest = json.loads((into / MANIFEST).read_text())
    if manifest.get("format") != FORMAT_VERSION:
        raise RestoreRefusedError(f"The backup's format {manifest.get('format')} is not known.")
    for name, digest in manifest["parts"].items():
        part = into / name
        if not part.exists() or file_sha256(part) != digest:
            raise RestoreRefusedError(f"The backup's {name} does not match its checksum.")
    return manifest


def _check_target(manifest: dict[str, Any], *, replace: bool) -> bool:
    """Refuse a backup this database or this code cannot take. True when the backup's schema is
    older than this code's (it is migrated after the restore)."""
    if manifest["vendor"] != connection.vendor:
        raise RestoreRefusedError(
            f"This is a {manifest['vendor']} backup; the configured database is "
            f"{connection.vendor}."
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = sorted(
        f"{app}.{name}" for app, name in manifest["migrations"].items() if (app, name) not in known
    )
    if unknown:
        raise RestoreRefusedError(
            "The backup was made by another version of Lantern (migrations this code does not "
            "have: " + ", ".join(unknown) + "). Restore it with that version."
        )
    if not replace and not backup_database.is_empty():
        raise RestoreRefusedError(
            "The database is not empty: a restore replaces everything in it. Run again with "
            "--yes to replace it."
        )
    return any(name > manifest["migrations"].get(app, "") for app, name in known)


def restore_backup(
    path: Path, *, replace: bool = False, expected_sha256: str | None = None
) -> RestoreSummary:
    """Restore `path` into the configured database and protected storage. `replace` allows
    replacing a database that has data; raises RestoreRefusedError before any change."""
    started = time.monotonic()
    # the decrypted parts sit beside the backup (the disk sized for it), else in the temp dir
    work_root = path.parent if os.access(path.parent, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="lantern-restore-", dir=work_root) as work:
        parts = Path(work)
        try:
            manifest = _unpack(path, parts, expected_sha256=expected_sha256)
        except OSError as exc:
            raise RestoreRefusedError(f"The backup could not be read: {exc}") from None
        older = _check_target(manifest, replace=replace)
        # from here on the database and the files change
        database_part = (
            "database.dump" if manifest["vendor"] == "postgresql" else "database.sqlite3"
        )
        backup_database.load(parts / database_part)
        state = backup_database.live_state()
        files, others = backup_files.restore_tar(parts / FILES_PART)
    if older:
        # the code below (and Lantern) reads the schema this code expects
        call_command("migrate", interactive=False, verbosity=0)
    # erasures first: the audit check then sees the database as it will be used
    erased_again = reapply_erasures()
    audit = audit_chain.verify()
    return RestoreSummary(
        manifest=manifest,
        tables={
            table: (manifest["tables"].get(table, 0), state.counts.get(table, 0))
            for table in sorted({*manifest["tables"], *state.counts})
        },
        changed=[
            table
            for table, checksum in manifest["table_checksums"].items()
            if state.checksums.get(table) != checksum
        ],
        files=files,
        files_not_in_backup=others,
        erased_again=erased_again,
        audit=audit,
        migrated=older,
        seconds=time.monotonic() - started,
    )
