"""Why a change was made is kept whole in the history, however long the staff member's words: on
PostgreSQL simple-history's default column stopped at 100 characters, so a merge with a reason of
a few lines was a 500 (and on SQLite, which never checks a length, nobody noticed)."""

from __future__ import annotations

import pytest

from cases.merging import merge_case
from cases.models import Case
from tests.factories import CaseFactory, ReportFactory

pytestmark = pytest.mark.django_db

LONG_REASON = "Made-up reason that runs on. " * 20  # 580 characters


def test_a_long_reason_is_kept_whole_in_both_cases_histories(operator) -> None:
    source = CaseFactory(helpline=operator.organisation, status=Case.Status.VERIFIED)
    target = CaseFactory(helpline=operator.organisation, status=Case.Status.VERIFIED)
    ReportFactory(case=source)

    merge_case(case=source, into=target, actor=operator, reason=LONG_REASON)

    for case in (source, target):
        reasons = case.history.values_list("history_change_reason", flat=True)
        assert any(LONG_REASON.strip() in (reason or "") for reason in reasons)
