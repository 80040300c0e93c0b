"""'Who viewed this case' on the case page (cases.panels), for supervisors and DPOs: the latest
reads and a link to them all (privacy.audit_views.case_access_log, itself audited). The panel adds
no row of its own: the case page's read is already logged."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cases.panels import Panel
from privacy.audit_report import PANEL_ROWS, case_reads, may_review


def _context(request: HttpRequest, case: Any) -> dict[str, Any] | None:
    if not may_review(request.user):
        return None
    reads = case_reads(case)
    return {"reads": list(reads[:PANEL_ROWS]), "total": reads.count()}


PANEL = Panel(name=__name__, template="privacy/audit/panel.html", context=_context)
