"""The access log's triggers refuse DELETE unless a prune permit exists (migration cases 0023), and
Django flushes a SQLite test database with DELETE after each transactional test. For tests only,
SQLite's flush is given a permit first and removes it last, all in the flush's one transaction, so
rows written up to the very end (a live server's last request) are cleared with the rest.
PostgreSQL flushes with TRUNCATE, which the row triggers do not see."""

from __future__ import annotations

from django.db.backends.sqlite3.operations import DatabaseOperations

PERMIT = "cases_auditprunepermit"
GRANT = 'INSERT INTO "cases_auditprunepermit" (granted_at) VALUES (CURRENT_TIMESTAMP);'
_original_sql_flush = DatabaseOperations.sql_flush


def _sql_flush(self: DatabaseOperations, style, tables, **options) -> list[str]:  # type: ignore[no-untyped-def]
    statements = _original_sql_flush(self, style, tables, **options)
    if PERMIT not in tables:
        return statements
    last = [s for s in statements if s.startswith("DELETE") and f'"{PERMIT}"' in s]
    rest = [s for s in statements if s not in last]
    return [GRANT, *rest, *last]


def let_the_flush_clear_the_access_log() -> None:
    DatabaseOperations.sql_flush = _sql_flush  # type: ignore[method-assign]
