"""The access log's triggers refuse DELETE, and Django flushes a SQLite test database with DELETE
after each transactional test. tests/conftest.py's fixture clears the log through retention's own
door (cases.audit_chain.prune) just before that flush, so the flush finds no row. PostgreSQL
flushes with TRUNCATE, which the row triggers do not see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from cases.audit_chain import prune

TRANSACTIONAL = {"transactional_db", "live_server", "django_db_reset_sequences"}


def is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        TRANSACTIONAL & set(getattr(item, "fixturenames", ()))
    )


def clear_access_log_before_flush(request: pytest.FixtureRequest) -> None:
    """Set up the test's transactional database first, so the clearing runs after everything the
    test set up later has stopped (the browser, the live server's last requests) and right before
    the database's own teardown flushes it."""
    if connection.vendor != "sqlite" or not is_transactional(request.node):
        return
    request.getfixturevalue("transactional_db")
    request.addfinalizer(lambda: prune(datetime.max.replace(tzinfo=UTC)))
