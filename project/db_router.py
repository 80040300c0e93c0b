"""Reads that may lag go to the read replica, and only those: a report, an export or a dashboard
figure asks for it with `with replica_reads():`. Everything else (the queue, case pages, intake,
sign-in and sessions) reads what it just wrote, so it reads the primary, and every write goes to
the primary. Installed only when DATABASE_REPLICA_URL names a replica (project.settings.nodes);
without one, replica_reads() changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

# A context variable, not a thread-local: it follows the code into sync_to_async's threads and
# across awaits, and each request, task or socket message starts without it.
_lag_is_fine: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside may come from the replica, seconds behind the primary."""
    token = _lag_is_fine.set(True)
    try:
        yield
    finally:
        _lag_is_fine.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: object, **hints: object) -> str:
        # Inside a transaction on the primary the code may read rows it has just written and not
        # yet committed, which no replica has: read-your-writes beats an idle primary.
        if _lag_is_fine.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: object, **hints: object) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool:
        return True  # the same rows on both: an object read from the replica may join one written

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db == DEFAULT_DB_ALIAS  # the replica follows the primary's schema by replication
