"""The access log's hash chain (SECURITY AU-04). Each AccessLog row carries a keyed hash over its
own fields (its id included) and the previous row's hash, so editing, removing or reordering a row
breaks the chain at that row, and without AUDIT_CHAIN_KEY nobody can rebuild a chain they edited.

The database does the rest (migration cases 0023): UPDATE and DELETE on the table are refused,
except DELETE while an AuditPrunePermit row exists, which only `prune` adds, inside its own
transaction. An insert without a hash is refused too, so nothing can add rows around the chain.

Appends are serialised: two requests that read the same head would fork the chain. On PostgreSQL a
transaction-scoped advisory lock; on SQLite the write lock every Lantern transaction begins with.
The lock is held until the reading request's transaction ends, the price of one unbroken chain.
An append costs two queries more than a plain insert on PostgreSQL (the lock; the id and head),
one on SQLite."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connections, transaction

from cases.models import AccessLog, AuditCheckpoint, AuditPrunePermit

# Any fixed number: the advisory-lock key every appender of the access log waits on.
_PG_LOCK_KEY = 0x4C414E54
VERIFY_BATCH = 2000
# The fields hashed, in this order; the hash and prev_hash are not among them (prev_hash is
# hashed in front of them).
CHAINED_FIELDS = ("id", "user_id", "case_id", "action", "via", "detail", "ip_address", "at")


def row_hash(prev_hash: str, values: dict) -> str:
    """HMAC-SHA256 over the previous hash and a canonical JSON of the row. The same values read
    back from either database give the same text: times in UTC to the microsecond, the address
    as text. Also used by migration 0023 to chain the rows written before it."""
    at = values["at"]
    encoded = json.dumps(
        [
            values["id"],
            values["user_id"],
            values["case_id"],
            values["action"],
            values["via"],
            values["detail"],
            str(values["ip_address"]) if values["ip_address"] else None,
            at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        ],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    key = settings.AUDIT_CHAIN_KEY.encode()
    return hmac.new(key, (prev_hash + encoded).encode(), hashlib.sha256).hexdigest()


@contextmanager
def chained(row: AccessLog, using: str = "default") -> Iterator[None]:
    """Around the insert of a new row (AccessLog.save): in one transaction, wait for the chain,
    give the row its id, link it to the head and hash it; the insert runs inside. No savepoint,
    as for any save: a failed insert fails the caller's transaction (fail closed, AU-02)."""
    with transaction.atomic(using=using, savepoint=False):
        _lock_chain(using)
        row.pk, row.prev_hash = _next_id_and_head(using)
        row.hash = row_hash(row.prev_hash, {name: getattr(row, name) for name in CHAINED_FIELDS})
        yield


def prune(before: datetime) -> int:
    """Remove the access-log rows older than `before` (retention) and leave a checkpoint, so the
    rest of the chain still verifies. Only the unbroken run of oldest rows goes: a row written
    with an earlier time after a newer one waits for the next prune, which keeps the chain whole.
    Returns how many rows were removed."""
    with transaction.atomic():
        _lock_chain("default")
        first_kept = (
            AccessLog.objects.filter(at__gte=before).order_by("id").values_list("id", flat=True)
        ).first()
        doomed = AccessLog.objects.all()
        if first_kept is not None:
            doomed = doomed.filter(id__lt=first_kept)
        last = doomed.order_by("-id").values("id", "hash").first()
        if last is None:
            return 0
        permit = AuditPrunePermit.objects.create()
        removed, _ = doomed.delete()
        AuditCheckpoint.objects.create(
            last_removed_id=last["id"], last_hash=last["hash"], removed=removed
        )
        permit.delete()
    return removed


@dataclass(frozen=True)
class ChainCheck:
    """What verify found: how many rows it checked and, if the chain is broken, the first row
    where it breaks and how."""

    rows: int
    broken_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify() -> ChainCheck:
    """Walk the chain in id order from the latest checkpoint (or the start), recomputing each
    hash. A changed row fails its own hash; a removed or moved row leaves the next row pointing
    at a hash that is not the one before it."""
    checkpoint = AuditCheckpoint.objects.order_by("-last_removed_id").first()
    after = checkpoint.last_removed_id if checkpoint else 0
    expected_prev = checkpoint.last_hash if checkpoint else ""
    checked = 0
    while True:
        batch = list(
            AccessLog.objects.filter(id__gt=after)
            .order_by("id")
            .values(*CHAINED_FIELDS, "prev_hash", "hash")[:VERIFY_BATCH]
        )
        if not batch:
            return ChainCheck(rows=checked)
        for row in batch:
            if not hmac.compare_digest(row_hash(row["prev_hash"], row), row["hash"]):
                return ChainCheck(checked, row["id"], "the row was changed")
            if row["prev_hash"] != expected_prev:
                return ChainCheck(checked, row["id"], "a row before it was removed, added or moved")
            expected_prev = row["hash"]
            checked += 1
        after = batch[-1]["id"]


def _lock_chain(using: str) -> None:
    """PostgreSQL: wait for the chain's advisory lock, held until this transaction ends. In a
    statement of its own, so the head is read afterwards with a snapshot that sees the previous
    appender's commit. SQLite needs nothing: Lantern begins its transactions IMMEDIATE (settings),
    so this one already holds the database's only write lock; were that changed, a stale reader
    would be refused with "database is locked" rather than fork the chain."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])


# The head: the newest row's hash, or after a prune of every row the checkpoint's, or "" at first.
_HEAD = (
    "coalesce((SELECT hash FROM cases_accesslog ORDER BY id DESC LIMIT 1),"
    " (SELECT last_hash FROM cases_auditcheckpoint ORDER BY last_removed_id DESC LIMIT 1), '')"
)
# The new row's id, taken before the insert because the hash covers it; under the lock, ids grow
# in chain order. SQLite's AUTOINCREMENT never reuses an id, even one a prune removed.
_NEXT_ID = {
    "postgresql": "nextval(pg_get_serial_sequence('cases_accesslog', 'id'))",
    "sqlite": "max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'cases_accesslog'), 0),"
    " coalesce((SELECT max(id) FROM cases_accesslog), 0)) + 1",
}


def _next_id_and_head(using: str) -> tuple[int, str]:
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_NEXT_ID[connection.vendor]}, {_HEAD}")  # noqa: S608 - constants
        next_id, head = cursor.fetchone()
    return next_id, head
