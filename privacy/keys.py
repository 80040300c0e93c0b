"""Key rotation (issue 15 part 5, SECURITY DP-02): every encrypted value of every model, history
tables included, and every protected file, encrypted again under the first of
FIELD_ENCRYPTION_KEYS, so the keys after it can be retired. `manage.py rotate_keys` runs it.

Safe while Lantern runs: each batch is one transaction that locks its rows (SELECT ... FOR UPDATE
on PostgreSQL; SQLite lets one writer in at a time) and writes back what it read under that lock,
so a save made meanwhile waits for the batch and is never overwritten by an older value.
Resumable: a KeyRotation row per table and key records the last primary key done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from privacy.models import KeyRotation
from project import protected_files
from project.crypto import UndecryptableValueError, encrypted_fields, key_id, raw_values, tokens_in

BATCH = 500
Progress = Callable[[str, int], None]


@dataclass
class Rotation:
    """What a run did: values re-encrypted per table, files re-encrypted, files it could not read."""

    key: str
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    unreadable_files: list[str] = field(default_factory=list)


def _first_key() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEYS[0])


def _opens(first: Fernet, raw: str | None) -> bool:
    try:
        for token in tokens_in(raw):
            first.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate(*, batch: int = BATCH, on_batch: Progress | None = None) -> Rotation:
    """Re-encrypt everything under the first key, resuming where an earlier run stopped."""
    done = Rotation(key=key_id(settings.FIELD_ENCRYPTION_KEYS[0]))
    for model, fields in encrypted_fields():
        done.tables[model._meta.db_table] = _rotate_table(model, fields, done.key, batch, on_batch)
    done.files, done.unreadable_files = _rotate_files()
    return done


def in_batches(model: type[models.Model], *, table: str, key: str,
               fetch: Callable[[int], list[models.Model]],
               change: Callable[[models.Model], dict[str, Any]],
               on_batch: Progress | None) -> int:  # fmt: skip
    """Walk a table by primary key in locked batches, writing `change(row)` (when it is not empty)
    with an update (no history row), resumably: KeyRotation keeps how far `table` got under `key`.
    `fetch(after)` returns the next batch, locked. Returns the rows changed, this run and before."""
    progress, _ = KeyRotation.objects.get_or_create(table=table, key_id=key)
    while progress.finished_at is None:
        with transaction.atomic():
            rows = fetch(progress.last_pk)
            for row in rows:
                if values := change(row):
                    model._base_manager.filter(pk=row.pk).update(**values)
                    progress.rows += 1
            if rows:
                progress.last_pk = rows[-1].pk
            else:
                progress.finished_at = timezone.now()
            progress.save()
        if rows and on_batch is not None:
            on_batch(model._meta.db_table, len(rows))
    return progress.rows


def _rotate_table(model: type[models.Model], fields: list[models.Field], key: str, batch: int,
                  on_batch: Progress | None) -> int:  # fmt: skip
    first = _first_key()

    def stale(row: models.Model) -> dict[str, Any]:
        # The values were read (decrypted) under this batch's lock, so they are the current ones;
        # the update encrypts them under the first key.
        return {
            f.attname: getattr(row, f.attname)
            for f in fields
            if not _opens(first, getattr(row, f"_raw_{f.attname}"))
        }

    return in_batches(
        model,
        table=model._meta.db_table,
        key=key,
        fetch=lambda after: _locked_batch(model, fields, after, batch),
        change=stale,
        on_batch=on_batch,
    )


def _locked_batch(model: type[models.Model], fields: list[models.Field], after: int,
                  batch: int) -> list[models.Model]:  # fmt: skip
    """The next rows after `after`, locked, read both decrypted and as stored."""
    raw = {f"_raw_{f.attname}": Cast(f.attname, models.TextField()) for f in fields}
    rows = (
        model._base_manager.select_for_update()
        .filter(pk__gt=after)
        .order_by("pk")
        .only("pk", *(f.attname for f in fields))
        .annotate(**raw)
    )
    try:
        return list(rows[:batch])
    except UndecryptableValueError as exc:
        raise UndecryptableValueError(
            f"{model._meta.db_table} holds a value no configured key opens (after pk {after})"
        ) from exc


def _rotate_files() -> tuple[int, list[str]]:
    rotated, unreadable = 0, []
    names = {name.removesuffix(".rotating") for name in protected_files.walk()}
    for name in sorted(names):
        try:
            if protected_files.exists(name) and protected_files.under_first_key(name):
                continue
            protected_files.reencrypt(name)
            rotated += 1
        except UndecryptableValueError:
            unreadable.append(name)
    return rotated, unreadable


def remaining() -> dict[str, int]:
    """What the first key alone cannot open: "table.column" (or "files") and how many. Read
    straight from the columns (nothing decrypted with the other keys): {} when rotation is done."""
    first = _first_key()
    left: dict[str, int] = {}
    for model, fields in encrypted_fields():
        for f in fields:
            rows = raw_values(model._base_manager.order_by(), f).iterator(chunk_size=2000)
            count = sum(1 for _pk, raw in rows if not _opens(first, raw))
            if count:
                left[f"{model._meta.db_table}.{f.column}"] = count
    files = 0
    for name in protected_files.walk():
        try:
            files += not protected_files.under_first_key(name)
        except UndecryptableValueError:
            files += 1
    if files:
        left["files"] = files
    return left
