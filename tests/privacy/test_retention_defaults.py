"""A category without its rule (a database flushed, a row removed by hand) is kept for its default
period: the sweep and the case page's panel never fail for want of a row."""

from __future__ import annotations

from privacy import retention
from privacy.models import DEFAULT_RETENTION, Category, RetentionRule
from tests.factories import CaseFactory


def test_a_missing_rule_falls_back_to_its_default(helpline, supervisor, otp_client) -> None:
    RetentionRule.objects.filter(category=Category.EXPORTS).update(days=3)
    RetentionRule.objects.filter(category=Category.CASE_CONTENT).delete()

    days = retention.periods()
    assert days[Category.CASE_CONTENT] == DEFAULT_RETENTION[Category.CASE_CONTENT][0]
    assert days[Category.EXPORTS] == 3  # what admins set still counts
    case = CaseFactory(helpline=helpline)
    assert otp_client(supervisor).get(f"/cases/{case.number}/").status_code == 200
