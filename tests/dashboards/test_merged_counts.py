"""A merged case is counted once, as the case it joined (cases.merging): the live dashboard does not
count it as open, and snapshot reports do not count it as a case that came in; unmerged, it counts
again."""

from __future__ import annotations

import pytest

from cases.merging import merge_case, unmerge_case
from cases.models import Case
from dashboards.live import counted_figures
from dashboards.reports import snapshot
from tests.factories import CaseFactory, ReportFactory

pytestmark = pytest.mark.django_db
S = Case.Status


def figures(supervisor) -> tuple[int, int, dict[str, int]]:
    live = counted_figures(supervisor)
    report = snapshot(supervisor, {})
    statuses = {row["label"]: row["count"] for row in live["by_status"]}
    return live["open_cases"], report["incoming"]["total"], statuses


def test_a_merged_case_is_counted_once(helpline, operator, supervisor) -> None:
    a, b = (CaseFactory(helpline=helpline, status=S.VERIFIED) for _ in range(2))
    for case in (a, b):
        ReportFactory(case=case)
    open_before, incoming_before, _ = figures(supervisor)
    assert (open_before, incoming_before) == (2, 2)

    merge_case(case=a, into=b, actor=operator, reason="Same woman")
    open_cases, incoming, statuses = figures(supervisor)
    assert (open_cases, incoming) == (1, 1)
    assert "Merged" not in statuses
    assert statuses["Verified"] == 1

    unmerge_case(case=Case.objects.get(pk=a.pk), actor=supervisor, reason="Two women")
    assert figures(supervisor)[:2] == (2, 2)
