"""Snapshot reports (issue 7): the figures against hand-counted cases (tests/dashboards/reporting.py),
who sees which cases, each filter and the URL round trip, small-number suppression, the page and
the API, and the area recorded at verification."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case
from dashboards.reports import InvalidFiltersError, snapshot, suppress
from dashboards.suppression import SECONDARY
from tests.dashboards.reporting import NOW, PERIOD, Cast, at, make_cases
from tests.factories import CaseFactory
from triage.services import claim_case, release_case

pytestmark = pytest.mark.django_db
HOUR = 3600
# channels no case of these worlds uses (staff-opened, WhatsApp, web chat): each still a row
STAFF_CHANNELS_NONE = dict.fromkeys(
    ("walk_in", "phone", "partner", "email", "other", "whatsapp", "chat"), 0
)


@pytest.fixture(autouse=True)
def _march() -> None:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def cast(helpline, other_helpline, cso, supervisor) -> Cast:
    return make_cases(helpline, other_helpline, cso, supervisor)


def counts(entries: list[dict]) -> dict[str, object]:
    return {entry["code"]: entry["count"] for entry in entries}


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


# The figures --------------------------------------------------------------------------------------


def test_a_supervisors_figures_are_their_helplines_hand_counted(cast, supervisor) -> None:
    figures = snapshot(supervisor, PERIOD)

    incoming = figures["incoming"]
    assert incoming["total"] == 6  # A1-A6; A7 is before the period, B1 and B2 another helpline's
    assert counts(incoming["by_channel"]) == {
        "sms": 4, "voice": 1, "web": 1, "feed": 0, "api": 0, **STAFF_CHANNELS_NONE
    }  # fmt: skip
    days = {day["day"]: day["count"] for day in incoming["by_day"]}
    assert len(days) == 15  # every day of the period, zeros too
    assert (list(days)[0], list(days)[-1]) == ("2026-03-01", "2026-03-15")
    assert {day: n for day, n in days.items() if n} == {
        "2026-03-02": 2,
        "2026-03-03": 1,
        "2026-03-05": 2,
        "2026-03-06": 1,
    }
    assert counts(figures["triage"]) == {"verified": 3, "discarded": 2, "awaiting": 1}
    assert counts(figures["discard_reasons"])["prank"] == 2
    assert sum(counts(figures["discard_reasons"]).values()) == 2
    assert counts(figures["referrals"]) == {
        "pending": 0, "accepted": 1, "declined": 0, "withdrawn": 0, "completed": 1,
    }  # fmt: skip
    services = counts(figures["services"])
    assert (services["counselling"], services["shelter"], sum(services.values())) == (2, 1, 3)

    times = figures["times"]
    # first claims after 10, 30, 50, 60 and 120 minutes: median 50, p90 60 + 0.6 * 60 = 96
    assert times["first_contact"] == {"count": 5, "p50_seconds": 50 * 60, "p90_seconds": 96 * 60}
    # accepted after 4 h and 1 h: median 2.5 h, p90 1 + 0.9 * 3 = 3.7 h
    assert times["referral_acceptance"] == {
        "count": 2, "p50_seconds": int(2.5 * HOUR), "p90_seconds": int(3.7 * HOUR),
    }  # fmt: skip
    assert times["closure"] == {"count": 1, "p50_seconds": 48 * HOUR, "p90_seconds": 48 * HOUR}


def test_a_monitor_counts_every_helpline(cast, monitor) -> None:
    figures = snapshot(monitor, PERIOD)

    assert figures["incoming"]["total"] == 8
    assert counts(figures["incoming"]["by_channel"]) == {
        "sms": 4, "voice": 2, "web": 2, "feed": 0, "api": 0, **STAFF_CHANNELS_NONE,
    }  # fmt: skip
    assert counts(figures["triage"]) == {"verified": 4, "discarded": 3, "awaiting": 1}
    assert counts(figures["discard_reasons"])["wrong-number"] == 1
    assert counts(figures["referrals"])["declined"] == 1


def test_the_default_period_is_the_last_30_days(cast, supervisor) -> None:
    figures = snapshot(supervisor, {})
    assert figures["filters"] == {"created_after": "2026-02-19"}
    assert figures["period"] == {"start": "2026-02-19", "end": "2026-03-20"}
    assert figures["incoming"]["total"] == 7  # A7 (20 February) too


@pytest.mark.parametrize(
    ("filters", "total"),
    [
        ({"channel": "sms"}, 4),
        ({"category": "physical"}, 2),
        ({"priority": "high"}, 1),
        ({"status": "discarded"}, 2),
        ({"area": "north"}, 2),
        ({"area": "south"}, 1),
        ({"organisation": "safe-haven"}, 2),  # referred to the CSO
        ({"organisation": "north-helpline"}, 6),
        ({"organisation": "south-helpline"}, 0),  # not the supervisor's to see
        ({"created_before": "2026-03-04"}, 3),
        ({"channel": "sms", "area": "north"}, 1),
    ],
)
def test_each_filter(cast, supervisor, filters, total) -> None:
    assert snapshot(supervisor, {**PERIOD, **filters})["incoming"]["total"] == total


def test_the_organisation_filter_cannot_widen_what_a_supervisor_sees(cast, supervisor, monitor):
    assert snapshot(monitor, {**PERIOD, "organisation": "south-helpline"})["incoming"]["total"] == 2
    assert (
        snapshot(supervisor, {**PERIOD, "organisation": "south-helpline"})["incoming"]["total"] == 0
    )


@pytest.mark.parametrize(
    "bad", [{"status": "nonsense"}, {"created_after": "yesterday"}, {"channel": "pigeon"}]
)
def test_filters_that_do_not_parse_are_refused(supervisor, bad) -> None:
    with pytest.raises(InvalidFiltersError) as refused:
        snapshot(supervisor, bad)
    assert set(refused.value.errors) == set(bad)


def test_unknown_parameters_are_ignored(cast, supervisor) -> None:
    figures = snapshot(supervisor, {**PERIOD, "name": "Someone", "q": "07700900777"})
    assert figures["filters"] == PERIOD
    assert figures["incoming"]["total"] == 6


def test_only_supervisors_and_monitors_get_figures(operator, cso_rep, admin_user) -> None:
    for user in (operator, cso_rep, admin_user):
        with pytest.raises(PermissionDenied):
            snapshot(user, PERIOD)


def test_first_contact_is_the_first_claim_as_the_history_shows_it(supervisor, operator, helpline):
    case = CaseFactory(helpline=helpline, created_at=NOW)
    with time_machine.travel(NOW + timedelta(minutes=15), tick=False):
        claim_case(case=case, actor=operator)
    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        release_case(case=case, actor=operator)
    with time_machine.travel(NOW + timedelta(minutes=40), tick=False):
        claim_case(case=case, actor=supervisor)

    case.refresh_from_db()
    first = case.history.filter(status=Case.Status.IN_TRIAGE).earliest("history_date")
    assert case.first_claimed_at == first.history_date == NOW + timedelta(minutes=15)
    figures = snapshot(supervisor, {"created_after": "2026-03-20"})
    assert figures["times"]["first_contact"]["p50_seconds"] == 15 * 60


def test_figures_of_many_cases_take_a_fixed_number_of_queries(
    cast, supervisor, helpline, django_assert_max_num_queries
) -> None:
    CaseFactory.create_batch(40, helpline=helpline, created_at=NOW - timedelta(days=2))
    # the SQLite fallback adds two small queries per time; PostgreSQL needs fewer
    with django_assert_max_num_queries(16):
        snapshot(supervisor, PERIOD)


# Suppression --------------------------------------------------------------------------------------


def test_suppress_turns_1_to_4_into_under_5_and_keeps_0_and_5() -> None:
    figures = {
        "incoming": {"total": 5, "by_channel": [{"code": c, "count": n} for c, n in
                     (("sms", 0), ("voice", 1), ("web", 4), ("feed", 5), ("api", 12))]},
        "times": {"closure": {"count": 2, "p50_seconds": 60, "p90_seconds": 90},
                  "first_contact": {"count": 7, "p50_seconds": 60, "p90_seconds": 90}},
        "period": {"start": "2026-03-01"},
    }  # fmt: skip
    shared = suppress(figures, threshold=5)

    assert [c["count"] for c in shared["incoming"]["by_channel"]] == [0, "<5", "<5", 5, 12]
    assert shared["incoming"]["total"] == 5
    # a median of two cases is nearly each one's own time
    assert shared["times"]["closure"] == {"count": "<5", "p50_seconds": None, "p90_seconds": None}
    assert shared["times"]["first_contact"]["p50_seconds"] == 60
    assert shared["period"] == figures["period"]
    assert figures["times"]["closure"]["count"] == 2  # a copy: the original is unchanged


def test_the_threshold_is_a_setting(settings) -> None:
    settings.SMALL_NUMBER_THRESHOLD = 3
    shared = suppress({"x": [{"count": n} for n in range(5)]})
    assert [row["count"] for row in shared["x"]] == [0, "<3", "<3", 3, 4]
    assert suppress({"count": 9}, threshold=10) == {"count": "<10"}


# The page and the API -----------------------------------------------------------------------------


def test_the_page_shows_the_figures_with_filters_in_the_url(cast, supervisor, otp_client) -> None:
    response = otp_client(supervisor).get(
        "/dashboards/reports/", {**PERIOD, "channel": "sms", "area": "north"}
    )

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    # the form shows the filters it was given, so the URL round-trips
    assert 'name="created_after" value="2026-03-01"' in html
    assert 'name="created_before" value="2026-03-16"' in html
    assert '<option value="sms" selected>' in html
    assert '<option value="north" selected>' in html
    # the exports take exactly the same filters
    query = "created_after=2026-03-01&amp;created_before=2026-03-16&amp;channel=sms&amp;area=north"
    assert f'action="/dashboards/reports/snapshot.pdf?{query}"' in html
    assert f'action="/dashboards/reports/cases.csv?{query}"' in html
    assert "Incoming reports: 1" in html  # A1 alone; a supervisor sees exact figures by default
    assert 'id="report-data" type="application/json"' in html
    assert "/static/vendor/chart.js-4.6.1/chart.umd.min.js" in html
    assert "<script>" not in html  # nothing inline: the CSP allows no inline script


def test_supervisors_may_switch_to_shareable_figures(cast, supervisor, otp_client) -> None:
    client = otp_client(supervisor)
    assert "Incoming reports: 6" in client.get("/dashboards/reports/", PERIOD).content.decode()
    html = client.get("/dashboards/reports/", {**PERIOD, "shareable": "1"}).content.decode()
    assert "Incoming reports: 6" in html  # 6 is at or over the threshold
    assert "&lt;5" in html


def test_monitors_always_see_shareable_figures(cast, monitor, otp_client) -> None:
    html = otp_client(monitor).get("/dashboards/reports/", {**PERIOD, "area": "north"}).content
    html = html.decode()
    assert "Incoming reports: &lt;5" in html
    assert 'id="report-shareable"' not in html  # no switch to turn it off
    assert "Case list (CSV)" not in html  # figures only


def test_bad_filters_on_the_page_are_400_with_the_form(supervisor, otp_client) -> None:
    response = otp_client(supervisor).get("/dashboards/reports/", {"status": "nonsense"})
    assert response.status_code == 400
    assert 'id="filter-errors"' in response.content.decode()


def test_the_api_gives_the_same_figures(cast, supervisor) -> None:
    response = api_for(supervisor).get("/api/v1/reports/snapshot/", PERIOD)
    assert response.status_code == 200
    assert response.json() == snapshot(supervisor, PERIOD)
    shared = api_for(supervisor).get("/api/v1/reports/snapshot/", {**PERIOD, "shareable": "1"})
    assert shared.json()["incoming"]["by_channel"][0]["count"] == "<5"


def test_the_api_suppresses_for_monitors(cast, monitor) -> None:
    data = api_for(monitor).get("/api/v1/reports/snapshot/", PERIOD).json()
    assert data == suppress(snapshot(monitor, PERIOD))
    assert data["incoming"]["total"] == 8
    assert counts(data["incoming"]["by_channel"])["sms"] == "<5"  # 4


def test_the_api_refuses_bad_filters_with_400(supervisor) -> None:
    response = api_for(supervisor).get("/api/v1/reports/snapshot/", {"created_after": "soon"})
    assert response.status_code == 400
    assert "created_after" in response.json()


@pytest.mark.parametrize("who", ["operator", "cso_rep", "admin_user"])
def test_others_are_refused_the_page_and_the_api(who, request, otp_client) -> None:
    user = request.getfixturevalue(who)
    assert otp_client(user).get("/dashboards/reports/").status_code == 403
    assert api_for(user).get("/api/v1/reports/snapshot/").status_code == 403


def test_the_reports_link_is_offered_to_those_who_may_see_them(supervisor, operator, otp_client):
    assert 'href="/dashboards/reports/"' in otp_client(supervisor).get("/cases/").content.decode()
    assert 'href="/dashboards/reports/"' not in otp_client(operator).get("/cases/").content.decode()


# The area -----------------------------------------------------------------------------------------


def test_the_area_is_recorded_at_verification_through_the_api(operator, helpline) -> None:
    case = CaseFactory(helpline=helpline)
    api = api_for(operator)
    api.post(f"/api/v1/cases/{case.number}/claim/")
    payload = {"category": "physical", "priority": "medium", "area": "east"}
    assert (
        api.post(f"/api/v1/cases/{case.number}/verify/", payload, format="json").status_code == 200
    )
    case.refresh_from_db()
    assert case.area.code == "east"


def test_an_unknown_area_is_400(operator, helpline) -> None:
    case = CaseFactory(helpline=helpline)
    api = api_for(operator)
    api.post(f"/api/v1/cases/{case.number}/claim/")
    payload = {"category": "physical", "priority": "medium", "area": "atlantis"}
    response = api.post(f"/api/v1/cases/{case.number}/verify/", payload, format="json")
    assert response.status_code == 400
    assert "area" in response.json()


def test_the_verify_form_offers_and_records_the_area(operator, helpline, otp_client) -> None:
    case = CaseFactory(helpline=helpline)
    claim_case(case=case, actor=operator)
    client = otp_client(operator)
    html = client.get(f"/console/{case.number}/verify/").content.decode()
    assert '<option value="central">Central</option>' in html

    response = client.post(
        f"/console/{case.number}/verify/",
        {"category": "physical", "priority": "standard", "area": "central", "verify": "1",
         "perp-TOTAL_FORMS": "0", "perp-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    case.refresh_from_db()
    assert case.area.code == "central"


# Secondary suppression (issue 11, item 13) --------------------------------------------------------


def six_texts_and_a_form(helpline) -> None:  # type: ignore[no-untyped-def]
    """7 reports: 7 - 6 SMS would give the one web form away."""
    for channel in ["sms"] * 6 + ["web"]:
        CaseFactory(helpline=helpline, created_at=at(2, 10), channel=channel, status="verified")


def test_a_total_minus_the_cells_shown_does_not_give_a_small_count_away(helpline, monitor) -> None:
    six_texts_and_a_form(helpline)

    shared = suppress(snapshot(monitor, PERIOD))

    assert shared["incoming"]["total"] == 7
    # the next smallest count is withheld with it
    assert counts(shared["incoming"]["by_channel"]) == {
        "sms": SECONDARY, "voice": 0, "web": "<5", "feed": 0, "api": 0, **STAFF_CHANNELS_NONE
    }  # fmt: skip
    assert counts(shared["triage"])["verified"] == 7


def test_the_page_and_the_api_withhold_it_too(helpline, monitor, otp_client) -> None:
    six_texts_and_a_form(helpline)

    html = otp_client(monitor).get("/dashboards/reports/", PERIOD).content.decode()
    data = api_for(monitor).get("/api/v1/reports/snapshot/", PERIOD).json()

    assert '<th scope="row">SMS</th><td class="text-end">[c]</td>' in html
    assert "marks a count withheld" in html  # said in words
    assert counts(data["incoming"]["by_channel"])["sms"] == SECONDARY
