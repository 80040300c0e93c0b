"""The files part of a backup: every file in storages["protected"] (recordings, subject-access
exports), read and written through the Storage API so object storage works like the filesystem.
The files are encrypted already (project.protected_files); they go into the tar as they are."""

from __future__ import annotations

import tarfile
from pathlib import Path

from django.core.files import File
from django.core.files.storage import Storage, storages

from project import protected_files


def _storage() -> Storage:
    return storages["protected"]


def write_tar(target: Path) -> int:
    """Put every protected file into a tar at `target`; returns how many."""
    storage = _storage()
    count = 0
    with tarfile.open(target, "w") as archive:
        for name in sorted(protected_files.walk()):
            info = tarfile.TarInfo(name)
            info.size = storage.size(name)
            with storage.open(name, "rb") as handle:
                archive.addfile(info, handle)
            count += 1
    return count


def restore_tar(source: Path) -> tuple[int, int]:
    """Write every file of the tar back under its own name (replacing one there now); returns
    (files restored, files in storage now that the backup does not have: kept, never deleted)."""
    storage = _storage()
    restored = set()
    with tarfile.open(source, "r") as archive:
        for member in archive:
            if not member.isfile() or member.name.startswith("/") or ".." in member.name:
                continue
            handle = archive.extractfile(member)
            if storage.exists(member.name):
                storage.delete(member.name)
            saved = storage.save(member.name, File(handle, name=member.name))
            if saved != member.name:
                raise OSError(f"The storage saved a restored file as {saved}, not {member.name}.")
            restored.add(member.name)
    others = sum(1 for name in protected_files.walk() if name not in restored)
    return len(restored), others
