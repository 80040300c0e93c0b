"""Checking and pruning the access log's hash chain (SECURITY AU-04); how a row joins the chain is
cases.models.access. `verify` walks the chain and names the first broken link; `prune` is the one
way old rows leave (retention), with a checkpoint so the rest still verifies."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from cases.models import AccessLog, AuditCheckpoint, AuditPrunePermit
from cases.models.access import CHAINED_FIELDS, lock_chain, row_hash

__all__ = ["ChainCheck", "prune", "row_hash", "verify"]

VERIFY_BATCH = 2000


def prune(before: datetime) -> int:
    """Remove the access-log rows older than `before` (retention) and leave a checkpoint, so the
    rest of the chain still verifies. Only the unbroken run of oldest rows goes: a row written
    with an earlier time after a newer one waits for the next prune, which keeps the chain whole.
    Returns how many rows were removed."""
    with transaction.atomic():
        lock_chain("default")
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
