"""The database part of a backup: dumped and loaded the way each database does it best, with the
row counts and migration state of exactly the data dumped.

PostgreSQL: pg_dump -Fc and pg_restore, given the connection through libpq's environment variables
(the password in PGPASSWORD, never on a command line or in a log). The counts are taken in a
repeatable-read transaction whose snapshot pg_dump is handed, so they describe the dump even
while Lantern is writing. SQLite: the sqlite3 online backup API, which copies a consistent
database while Lantern runs; the counts are read from the copy."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, connections, transaction

from accounts.models import User
from cases.models import Case


class DatabaseBackupError(Exception):
    """pg_dump or pg_restore failed, or the database cannot be backed up this way."""


@dataclass(frozen=True)
class DumpState:
    """What the dump holds: rows per table, a checksum of each table's rows (the same whatever
    order they are read in) and the latest migration applied per app."""

    counts: dict[str, int]
    checksums: dict[str, str]
    migrations: dict[str, str]


def part_name() -> str:
    """The database part's file name inside the backup, by vendor."""
    return "database.dump" if connection.vendor == "postgresql" else "database.sqlite3"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _value(value: Any) -> Any:
    # a driver's memoryview prints its address, not its bytes
    return bytes(value) if isinstance(value, memoryview) else value


def _table(cursor: Any, table: str) -> tuple[int, str]:
    """Rows and an order-free checksum: the sum of the rows' sha256 values, modulo 2**256."""
    cursor.execute(f"SELECT * FROM {_quote(table)}")  # noqa: S608 - a table name, quoted
    count, total = 0, 0
    while rows := cursor.fetchmany(1000):
        for row in rows:
            digest = hashlib.sha256(repr([_value(value) for value in row]).encode()).digest()
            total = (total + int.from_bytes(digest, "big")) % 2**256
            count += 1
    return count, f"{total:064x}"


def _state(cursor: Any, tables: list[str]) -> DumpState:
    """Counts, checksums and migrations through any DB-API cursor (Django's or sqlite3's)."""
    counts, checksums = {}, {}
    for table in sorted(tables):
        counts[table], checksums[table] = _table(cursor, table)
    latest: dict[str, str] = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations")
        for app, name in cursor.fetchall():
            latest[app] = max(latest.get(app, ""), name)
    return DumpState(counts=counts, checksums=checksums, migrations=dict(sorted(latest.items())))


def live_state() -> DumpState:
    """The state of the configured database now (after a restore, to compare with the manifest),
    read the way the dump's state was read, so the values compare alike."""
    if connection.vendor == "sqlite":
        live = sqlite3.connect(_sqlite_path())
        try:
            return _sqlite_state(live)
        finally:
            live.close()
    with connection.cursor() as cursor:
        return _state(cursor, connection.introspection.table_names(cursor))


def is_empty() -> bool:
    """True for a database with no tables, or freshly migrated: no staff and no cases yet."""
    tables = connection.introspection.table_names()
    if not tables:
        return True
    needed = {User._meta.db_table, Case._meta.db_table}
    if not needed <= set(tables):
        return True
    return not User.objects.exists() and not Case.objects.exists()


def _pg_environment() -> dict[str, str]:
    """libpq's variables for the configured database (connection.settings_dict: under tests, the
    test database's name)."""
    settings_dict = connection.settings_dict
    values = {
        "PGHOST": settings_dict.get("HOST") or "",
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGUSER": settings_dict.get("USER") or "",
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
        "PGDATABASE": settings_dict["NAME"],
        "PGSSLMODE": (settings_dict.get("OPTIONS") or {}).get("sslmode", ""),
    }
    return {**os.environ, **{key: value for key, value in values.items() if value}}


def _run(command: list[str]) -> None:
    done = subprocess.run(  # noqa: S603 - a fixed program and options, no shell
        command, env=_pg_environment(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        # libpq never prints the password; its messages name tables and options only
        raise DatabaseBackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def dump(target: Path) -> DumpState:
    """Write the database part to `target`; return the state of what was written."""
    if connection.vendor == "postgresql":
        return _dump_postgresql(target)
    if connection.vendor == "sqlite":
        return _dump_sqlite(target)
    raise DatabaseBackupError(f"Backups of a {connection.vendor} database are not supported.")


def _dump_postgresql(target: Path) -> DumpState:
    if connection.in_atomic_block:
        raise DatabaseBackupError("A backup cannot run inside another transaction.")
    connection.ensure_connection()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        state = _state(cursor, connection.introspection.table_names(cursor))
        # the snapshot lives as long as this transaction: pg_dump must run inside it
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}"])
    return state


def _sqlite_path() -> str:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise DatabaseBackupError("An in-memory SQLite database cannot be backed up.")
    return name


def _sqlite_state(database: sqlite3.Connection) -> DumpState:
    # a plain sqlite3 connection: Django's would turn some columns into Python types
    cursor = database.cursor()
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    tables = [name for (name,) in cursor.fetchall() if not name.startswith("sqlite_")]
    return _state(cursor, tables)


def _dump_sqlite(target: Path) -> DumpState:
    source = sqlite3.connect(_sqlite_path())
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        return _sqlite_state(copy)
    finally:
        copy.close()
        source.close()


def load(source: Path) -> None:
    """Replace the configured database's contents with the database part at `source`."""
    # open connections would hold locks the restore needs (and would see a changed schema)
    connections.close_all()
    if connection.vendor == "postgresql":
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={connection.settings_dict['NAME']}",
                str(source),
            ]
        )
        return
    backup = sqlite3.connect(source)
    live = sqlite3.connect(_sqlite_path())
    try:
        backup.backup(live)
    finally:
        live.close()
        backup.close()
