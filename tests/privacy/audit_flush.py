"""The access log's triggers refuse DELETE unless a prune permit exists (migration cases 0023), and
Django flushes a SQLite test database with DELETE after each transactional test. For tests only,
SQLite's flush is given a permit first and removes it last, all in the flush's one transaction, so
rows written up to the very end (a live server's last request) are cleared with the rest.
PostgreSQL flushes with TRUNCATE, which the row triggers do not see."""

from __future__ import annotations

from typing import Any

from django.db import connection

PERMIT = "cases_auditprunepermit"
GRANT = 'INSERT INTO "cases_auditprunepermit" (granted_at) VALUES (CURRENT_TIMESTAMP);'


def let_the_flush_clear_the_access_log() -> None:
    """Called once Django is set up (imported earlier, SQLite's backend is half-loaded)."""
    if connection.vendor != "sqlite":
        return
    from django.db.backends.sqlite3.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self: DatabaseOperations, style: Any, tables: Any, **options: Any) -> list[str]:
        statements = original(self, style, tables, **options)
        if PERMIT not in tables:
            return statements
        last = [s for s in statements if s.startswith("DELETE") and f'"{PERMIT}"' in s]
        rest = [s for s in statements if s not in last]
        return [GRANT, *rest, *last]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
