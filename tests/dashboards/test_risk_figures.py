"""Risk level in the figures: the live dashboard's open cases and the snapshot's cases by their
latest risk assessment, "not assessed" included, suppressed for monitors like every breakdown."""

from __future__ import annotations

import csv
import io

import pytest

from accounts.models import User
from cases.models import Case, RiskLevel
from dashboards.live import counted_figures, live_figures, share
from dashboards.reports import snapshot, suppress
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
S = Case.Status


@pytest.fixture
def risky(helpline, other_helpline) -> None:
    for level, status in [
        (RiskLevel.HIGH, S.VERIFIED), (RiskLevel.HIGH, S.IN_SERVICE), (RiskLevel.MEDIUM, S.NEW),
        (RiskLevel.STANDARD, S.CLOSED), ("", S.NEW), ("", S.REFERRED),
    ]:  # fmt: skip
        CaseFactory(helpline=helpline, status=status, risk_level=level)
    CaseFactory(helpline=other_helpline, status=S.VERIFIED, risk_level=RiskLevel.HIGH)


def rows(figures: list[dict]) -> list[tuple[str, object]]:
    return [(row["label"], row["count"]) for row in figures]


def test_the_live_figures_count_open_cases_by_risk_not_assessed_included(risky, supervisor):
    figures = live_figures(User.objects.get(pk=supervisor.pk))
    assert rows(figures["by_risk"]) == [
        ("High risk", 2), ("Medium risk", 1), ("Standard risk", 0), ("Not assessed", 2),
    ]  # fmt: skip
    assert sum(row["count"] for row in figures["by_risk"]) == figures["open_cases"] == 5


def test_a_monitor_sees_the_risk_breakdown_suppressed(risky, monitor):
    user = User.objects.get(pk=monitor.pk)
    counted = counted_figures(user)
    assert rows(counted["by_risk"])[0] == ("High risk", 3)
    shown = live_figures(user)
    assert shown["by_risk"] == share(counted)["by_risk"]
    assert all(row["count"] in (0, "<5", "[c]") for row in shown["by_risk"])


def test_the_dashboard_page_has_the_risk_table(risky, supervisor, otp_client):
    html = otp_client(supervisor).get("/dashboards/").content.decode()
    assert "Open cases by risk level" in html
    assert 'id="table-risk"' in html
    assert "Not assessed" in html


def test_the_snapshot_counts_the_cases_by_their_latest_risk(risky, supervisor):
    figures = snapshot(User.objects.get(pk=supervisor.pk), {})
    assert [(row["code"], row["count"]) for row in figures["risk"]] == [
        ("high", 2), ("medium", 1), ("standard", 1), ("not_assessed", 2),
    ]  # fmt: skip
    assert sum(row["count"] for row in figures["risk"]) == figures["incoming"]["total"]


def test_the_shared_snapshot_suppresses_small_risk_counts(risky, supervisor):
    shared = suppress(snapshot(User.objects.get(pk=supervisor.pk), {}))
    assert all(row["count"] in (0, "<5", "[c]") for row in shared["risk"])


def test_the_figures_export_has_the_risk_breakdown(risky, supervisor, otp_client):
    answer = otp_client(supervisor).post("/dashboards/reports/figures.csv")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    risk = [row[1:] for row in rows if row[0] == "Cases by risk level"]
    assert risk == [["High risk", "<5"], ["Medium risk", "<5"], ["Standard risk", "<5"],
                    ["Not assessed", "<5"]]  # fmt: skip
