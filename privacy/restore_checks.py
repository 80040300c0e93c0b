"""The two steps after a restore that belong to other parts of Lantern, behind one small interface:
erasures made since the backup are made again (privacy.erasure.reapply_erasures, which reads
settings.ERASURE_LEDGER, a file the backups never hold), and the access log's hash chain is
checked (cases.audit_chain.verify). While privacy.erasure is not part of this build the outcome
says so ("not available"): the restore reports it instead of claiming a step it did not take."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from cases import audit_chain


@dataclass(frozen=True)
class Outcome:
    available: bool
    ok: bool
    text: str
    count: int = 0


def reapply_erasures() -> Outcome:
    # find_spec, not a caught ImportError: a module that is there but broken must fail loudly
    if importlib.util.find_spec("privacy.erasure") is None:
        return Outcome(False, False, "not available (privacy.erasure.reapply_erasures)")
    count = importlib.import_module("privacy.erasure").reapply_erasures()
    return Outcome(True, True, f"{count} re-applied", count=count)


def verify_audit() -> Outcome:
    result = audit_chain.verify()
    if result.ok:
        return Outcome(True, True, f"ok, {result.rows} rows chained", count=result.rows)
    return Outcome(True, False, f"broken at row {result.broken_id}: {result.problem}")
