"""The access log's triggers refuse DELETE, and Django flushes a SQLite test database with DELETE
after each transactional test. tests/conftest.py calls this before such a test is torn down: the
rows go through retention's own door (cases.audit_chain.prune), so the flush finds none.
PostgreSQL flushes with TRUNCATE, which the row triggers do not see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from cases.audit_chain import prune

TRANSACTIONAL = {"transactional_db", "live_server", "django_db_reset_sequences"}


def clear_access_log_before_flush(item: pytest.Item) -> None:
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        TRANSACTIONAL & set(getattr(item, "fixturenames", ()))
    )
    if transactional and connection.vendor == "sqlite":
        prune(datetime.max.replace(tzinfo=UTC))
