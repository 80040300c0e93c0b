"""A seal hides a case, never a figure: the live dashboard and snapshot reports count sealed cases
for everyone who sees figures, while the case list and its export leave them out. Monitors, who
read no case file, have nothing to break the glass for."""

from __future__ import annotations

from cases.models import Case
from cases.policy import may_break_glass, visible_cases
from cases.sealing import seal
from dashboards.live import counted_figures
from dashboards.reports import filtered_cases, snapshot
from tests.factories import CaseFactory


def _sealed_and_open(helpline, supervisor, dpo) -> tuple[Case, Case]:
    sealed = CaseFactory(helpline=helpline, status=Case.Status.NEW)
    plain = CaseFactory(helpline=helpline, status=Case.Status.NEW)
    seal(case=sealed, named_users=[dpo], by=dpo, reason="A colleague is the victim")
    sealed.refresh_from_db()
    return sealed, plain


def test_figures_count_a_sealed_case_the_list_does_not(helpline, supervisor, dpo) -> None:
    sealed, plain = _sealed_and_open(helpline, supervisor, dpo)

    assert list(visible_cases(supervisor)) == [plain]
    assert counted_figures(supervisor)["queue"]["unclaimed"] == 2
    assert snapshot(supervisor, {})["incoming"]["total"] == 2
    assert list(filtered_cases(supervisor, {})) == [plain]  # the case list and its export


def test_a_monitor_cannot_break_the_glass_and_still_counts_it(
    helpline, supervisor, dpo, monitor
) -> None:
    sealed, _ = _sealed_and_open(helpline, supervisor, dpo)

    assert not may_break_glass(monitor, sealed)
    assert may_break_glass(supervisor, sealed)
    assert sealed not in visible_cases(monitor)
