"""The access log (DESIGN rule 8) and how a row joins its hash chain (SECURITY AU-04): each row
carries a keyed hash over its own fields (its id included) and the previous row's hash, so
editing, removing or reordering a row breaks the chain at that row, and without AUDIT_CHAIN_KEY
nobody can rebuild a chain they edited. Checking and pruning the chain are cases.audit_chain's.

The database does the rest (migration cases 0023): UPDATE and DELETE on the table are refused,
except DELETE while an AuditPrunePermit row exists, which only prune adds, inside its own
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
from datetime import UTC

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone

from cases.models.core import Case


class AccessLog(models.Model):
    """Who read which case, when and from where (DESIGN rule 8). Written in the request that reads,
    so a read that cannot be logged does not happen. Lists and searches are rows without a case:
    who looked, never the words they searched for."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        HISTORY = "history", "Viewed history"
        LISTEN = "listen", "Listened to a recording"
        EXPORT = "export", "Exported"
        PRINT = "print", "Printed"
        LIST = "list", "Listed cases"
        SEARCH = "search", "Searched cases"
        REVEAL = "reveal", "Showed a masked detail"
        PERSON = "person", "Viewed a person"
        BREAK_GLASS = "break_glass", "Broke the glass on a sealed case"
        ACCESS_REPORT = "access_report", "Viewed who accessed a case"
        SUBJECT_ACCESS = "subject_access", "Exported a person's data (subject access)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="access_log", null=True, blank=True
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    via = models.CharField(max_length=8)  # "web" | "api"
    # which masked detail was shown ("person 12 phone"): never the value itself
    detail = models.CharField(max_length=64, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    # the hash chain (cases.audit_chain): this row's keyed hash over its fields and the previous
    # row's hash, so an edited or removed row shows (verify_audit); rows are append-only
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["case", "at"]),  # "who has looked at this case"
            models.Index(fields=["user", "at"]),  # unusual access: one person's reads
        ]

    def __str__(self) -> str:
        what = f"case {self.case_id}" if self.case_id else "cases"
        return f"{self.get_action_display()} {what} by {self.user_id}"

    def save(self, *args, **kwargs) -> None:
        """Rows are only ever added, each linked into the hash chain as it is inserted."""
        if not self._state.adding:
            raise ValueError("An access-log row is never changed once written.")
        kwargs["force_insert"] = True  # the chain gives the row its id before the insert
        with chained(self, using=kwargs.get("using") or "default"):
            super().save(*args, **kwargs)


class AuditCheckpoint(models.Model):
    """Where the access log's hash chain starts after old rows were removed by retention: the last
    removed row's id and hash, so verify_audit checks the rest from here (cases.audit_chain)."""

    last_removed_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    removed = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_removed_id"]

    def __str__(self) -> str:
        return f"Access log pruned up to {self.last_removed_id}"


class AuditPrunePermit(models.Model):
    """While a row exists here, inside one transaction, the database lets access-log rows be
    deleted (the append-only trigger checks it); retention adds and removes it in one atomic block,
    so no other connection ever sees it."""

    granted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "Access-log prune permit"


# Any fixed number: the advisory-lock key every appender of the access log waits on.
_PG_LOCK_KEY = 0x4C414E54
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
        lock_chain(using)
        row.pk, row.prev_hash = _next_id_and_head(using)
        row.hash = row_hash(row.prev_hash, {name: getattr(row, name) for name in CHAINED_FIELDS})
        yield


def lock_chain(using: str) -> None:
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
