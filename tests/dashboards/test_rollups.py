"""The reports' roll-up (dashboards.rollups): a report read from it is EQUAL to the same report
counted from the cases, on random cases and random filters, across the spring and autumn clock
changes, for every role, before and after writes that the roll-up has not caught up with.

"Equal" is exact: the whole figures dictionary, times included. Both paths measure times in whole
seconds rounded down per case; the raw one takes percentile_cont (PostgreSQL) or the rows at its
rank (SQLite) over them, the roll-up interpolates the same two values of its histogram.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cases.models import Case, DiscardReason, RiskLevel, ServiceType
from dashboards import rollup_builds, rollups
from dashboards.models import DirtyDay, RollupCell, RollupCoverage
from dashboards.reports import snapshot
from referrals.models import Referral, ServiceRecord
from tests.factories import CaseFactory, ReferralFactory

pytestmark = pytest.mark.django_db

# Two weeks around each clock change in Europe/London (29 March and 25 October 2026), "today" the
# day after: the last days are counted raw, the ones before from the roll-up.
WORLDS = {
    "spring": (datetime(2026, 3, 22, tzinfo=UTC), datetime(2026, 4, 5, 11, tzinfo=UTC)),
    "autumn": (datetime(2026, 10, 18, tzinfo=UTC), datetime(2026, 11, 1, 12, tzinfo=UTC)),
}
MICROSECONDS = 10**6
S = Case.Status

spans = st.one_of(st.none(), st.integers(0, 3 * 86400 * MICROSECONDS))
a_case = st.fixed_dictionaries(
    {
        "at": st.floats(0, 1, exclude_max=True),  # where in the world's fortnight
        "mine": st.booleans(),  # the supervisor's helpline or another
        "channel": st.sampled_from(["sms", "voice", "web"]),
        "status": st.sampled_from(Case.Status.values),
        "priority": st.sampled_from(Case.Priority.values),
        "risk_level": st.sampled_from(["", *RiskLevel.values]),
        "reason": st.sampled_from([None, "prank", "wrong-number"]),
        "claimed": spans,
        "closed": spans,
        "referrals": st.lists(
            st.tuples(st.sampled_from(Referral.Status.values), spans), max_size=2
        ),
        "services": st.lists(st.sampled_from(["counselling", "shelter"]), max_size=2),
    }
)


def day_of(world: str, at: float) -> str:
    start, end = WORLDS[world]
    return (start + (end - start) * at).isoformat()


# a filter value: a whole local day, or a moment in the middle of one
bound = st.one_of(
    st.integers(0, 14).map(lambda n: ("day", n)), st.floats(0, 1).map(lambda at: ("at", at))
)
filters = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(Case.Status.values),
        "channel": st.sampled_from(["sms", "voice", "web"]),
        "priority": st.sampled_from(Case.Priority.values),
        "risk": st.sampled_from(RiskLevel.values),
        "created_after": bound,
        "created_before": bound,
    },
)


def as_filters(world: str, chosen: dict) -> dict[str, str]:
    made = {}
    for name, value in chosen.items():
        if name.startswith("created_"):
            kind, where = value
            start = WORLDS[world][0].date()
            made[name] = (
                (start + timedelta(days=where)).isoformat()
                if kind == "day"
                else day_of(world, where)
            )
        else:
            made[name] = value
    return made


def make(world: str, spec: dict, helplines, by) -> Case:
    start, end = WORLDS[world]
    created = start + (end - start) * spec["at"]

    def after(micro: int | None) -> datetime | None:
        return None if micro is None else created + timedelta(microseconds=micro)

    reason = spec["reason"] and DiscardReason.objects.get(code=spec["reason"])
    case = CaseFactory(
        helpline=helplines[0] if spec["mine"] else helplines[1],
        created_at=created,
        channel=spec["channel"],
        status=spec["status"],
        priority=spec["priority"],
        risk_level=spec["risk_level"],
        discard_reason=reason or None,
        first_claimed_at=after(spec["claimed"]),
        closed_at=after(spec["closed"]),
    )
    for status, answered in spec["referrals"]:
        referral = ReferralFactory(case=case, status=status, referred_by=by)
        Referral.objects.filter(pk=referral.pk).update(
            created_at=created, responded_at=after(answered)
        )
    for code in spec["services"]:
        ServiceRecord.objects.create(
            case=case,
            organisation=helplines[0],
            service_type=ServiceType.objects.get(code=code),
            provided_at=created,
            recorded_by=by,
        )
    return case


def assert_equal_both_ways(users, world: str, chosen: list[dict]) -> None:
    for user in users:
        for choice in chosen:
            used = as_filters(world, choice)
            assert snapshot(user, used) == snapshot(user, used, rollup=False), (user, used)


@settings(
    max_examples=12,
    # shrinking a world of cases takes minutes; the failing example is printed as generated
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    world=st.sampled_from(sorted(WORLDS)),
    specs=st.lists(a_case, min_size=1, max_size=14),
    chosen=st.lists(filters, min_size=1, max_size=4),
    changed=st.lists(
        st.tuples(st.integers(0, 13), st.sampled_from(Case.Status.values)), max_size=3
    ),
)
def test_the_rolled_up_report_equals_the_raw_one(
    world, specs, chosen, changed, helpline, other_helpline, supervisor, monitor
) -> None:
    users = (monitor, supervisor)  # all helplines, and one: the reaches a cell key holds
    with time_machine.travel(WORLDS[world][1], tick=False), transaction.atomic():
        cases = [make(world, spec, (helpline, other_helpline), supervisor) for spec in specs]
        call_command("rebuild_rollups", "--since", WORLDS[world][0].date().isoformat())
        assert RollupCell.objects.exists()
        assert_equal_both_ways(users, world, chosen + [{}])

        # writes the roll-up has not caught up with: their days are counted raw meanwhile
        for index, status in changed:
            case = cases[index % len(cases)]
            case.status = status
            case.save()
        ReferralFactory(case=cases[-1], status=Referral.Status.DECLINED, referred_by=supervisor)
        assert DirtyDay.objects.exists()
        assert_equal_both_ways(users, world, chosen)

        rollup_builds.refresh()
        assert not DirtyDay.objects.exists()
        assert_equal_both_ways(users, world, chosen)
        transaction.set_rollback(True)


# What the roll-up holds, and when it answers ------------------------------------------------------

NOW = datetime(2026, 3, 31, 11, tzinfo=UTC)


@pytest.fixture
def _march_31():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def built(_march_31, helpline) -> list[Case]:
    made = [
        CaseFactory(helpline=helpline, created_at=datetime(2026, 3, day, 12, tzinfo=UTC))
        for day in (27, 28, 29, 30, 31)
    ]
    call_command("rebuild_rollups")
    return made


def test_the_report_reads_the_cells_it_holds(built, monitor) -> None:
    """A cell changed behind the roll-up's back shows in the report: it is what is read (and
    the raw count does not change)."""
    period = {"created_after": "2026-03-20"}
    assert snapshot(monitor, period)["incoming"]["total"] == 5
    RollupCell.objects.filter(day=date(2026, 3, 28), measure="case").update(n=100)
    assert snapshot(monitor, period)["incoming"]["total"] == 104
    assert snapshot(monitor, period, rollup=False)["incoming"]["total"] == 5


@pytest.mark.usefixtures("_march_31")
def test_percentiles_read_the_whole_seconds_of_their_buckets_only(helpline, monitor) -> None:
    """Twelve first contacts over three days, in six buckets of ten minutes: the median's ranks
    (5 and 6) fall in buckets 2 and 3, the 90th percentile's (9, 10) in bucket 6; the report is the
    raw one's; a whole second in a bucket no rank falls in is not read (only counted), one in a
    bucket a rank falls in is."""
    seconds = [5, 70, 599, 600, 1199, 1300, 1800, 2000, 2399, 4000, 4001, 9000]
    for index, second in enumerate(seconds):
        created = datetime(2026, 3, 27 + index % 3, 12, tzinfo=UTC)
        late = timedelta(seconds=second, microseconds=999_999 * (index % 2))  # still that second
        CaseFactory(helpline=helpline, created_at=created, first_claimed_at=created + late)
    call_command("rebuild_rollups")
    coarse = RollupCell.objects.filter(measure=rollups.COARSE["first_contact"])
    assert sorted(set(coarse.values_list("value", flat=True))) == [0, 1, 2, 3, 6, 15]
    period = {"created_after": "2026-03-20"}
    times = snapshot(monitor, period)["times"]
    assert times == snapshot(monitor, period, rollup=False)["times"]
    assert times["first_contact"] == {"count": 12, "p50_seconds": 1550, "p90_seconds": 4001}
    RollupCell.objects.filter(measure="first_contact", value=9000).update(value=9500)
    assert snapshot(monitor, period)["times"] == times
    RollupCell.objects.filter(measure="first_contact", value=1300).update(value=1400)
    assert snapshot(monitor, period)["times"]["first_contact"]["p50_seconds"] == 1600  # 1400, 1800


def test_it_covers_the_days_up_to_yesterday(built) -> None:
    coverage = RollupCoverage.objects.get()
    assert (coverage.first_day, coverage.last_day) == (date(2026, 3, 27), date(2026, 3, 30))
    assert set(RollupCell.objects.values_list("day", flat=True)) == {
        date(2026, 3, day) for day in (27, 28, 29, 30)
    }


def test_the_nightly_refresh_extends_the_cover_to_the_new_yesterday(built) -> None:
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        rollup_builds.refresh()
    assert RollupCoverage.objects.get().last_day == date(2026, 3, 31)
    assert RollupCell.objects.filter(day=date(2026, 3, 31), measure="case").get().n == 1


def test_every_kind_of_write_marks_its_day(built, supervisor) -> None:
    DirtyDay.objects.all().delete()
    case = built[1]  # 28 March
    Case.objects.filter(pk=case.pk).update(status=S.VERIFIED)  # a queryset update: no signal
    referral = ReferralFactory(case=built[2], referred_by=supervisor)  # 29 March
    ServiceRecord.objects.create(
        case=built[0], organisation=case.helpline, recorded_by=supervisor,
        service_type=ServiceType.objects.get(code="shelter"), provided_at=NOW,
    )  # fmt: skip
    assert set(DirtyDay.objects.values_list("day", flat=True)) == {
        date(2026, 3, 27), date(2026, 3, 28), date(2026, 3, 29)
    }  # fmt: skip
    DirtyDay.objects.all().delete()
    Case.objects.filter(pk=case.pk).update(needs_callback=True)  # nothing a report reads
    Referral.objects.filter(pk=referral.pk).update(status=Referral.Status.DECLINED)
    assert set(DirtyDay.objects.values_list("day", flat=True)) == {date(2026, 3, 29)}


def test_filters_the_cells_do_not_hold_are_counted_raw(built, monitor) -> None:
    RollupCell.objects.update(n=100)  # were the cells read, every figure would be wrong
    for extra in ({"category": "physical"}, {"area": "north"}, {"organisation": "x"}):
        used = {"created_after": "2026-03-20", **extra}
        assert snapshot(monitor, used) == snapshot(monitor, used, rollup=False)


@pytest.mark.usefixtures("_march_31")
def test_before_the_first_build_reports_are_counted_raw(helpline, monitor) -> None:
    CaseFactory(helpline=helpline, created_at=datetime(2026, 3, 27, 12, tzinfo=UTC))
    assert rollup_builds.refresh() == 0  # nothing covered: the job waits for rebuild_rollups
    assert not RollupCoverage.objects.exists()
    assert snapshot(monitor, {"created_after": "2026-03-20"})["incoming"]["total"] == 1


@pytest.mark.parametrize(
    ("histogram", "expected"),
    [
        ({}, (None, None)),
        ({7: 1}, (7, 7)),
        ({1: 1, 2: 1}, (2, 2)),  # 1.5 rounds to even; 1.9 to 2
        ({10: 3, 20: 1}, (10, 17)),  # rank 2.7: 10 + 10 * 0.7
    ],
)
def test_percentiles_of_a_histogram_interpolate_as_percentile_cont(histogram, expected) -> None:
    assert (rollups.percentile(histogram, 0.5), rollups.percentile(histogram, 0.9)) == expected


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("require_postgresql", "_march_31")
def test_a_write_in_flight_while_the_job_runs_is_caught_by_the_next_run(helpline, monitor) -> None:
    """A writer whose transaction is still open when the job clears the marks: the DELETE does not
    see its mark, so the day stays dirty (counted raw) once it commits, until the next run."""
    case = CaseFactory(helpline=helpline, created_at=datetime(2026, 3, 28, 12, tzinfo=UTC))
    call_command("rebuild_rollups")
    period = {"created_after": "2026-03-20"}
    writer = connections.create_connection("default")
    try:
        writer.set_autocommit(False)
        with writer.cursor() as cursor:
            cursor.execute("UPDATE cases_case SET status = 'verified' WHERE id = %s", [case.pk])
        rollup_builds.refresh()  # meanwhile, on its own connection: not blocked, and misses the write
        writer.commit()
    finally:
        writer.close()
    assert set(DirtyDay.objects.values_list("day", flat=True)) == {date(2026, 3, 28)}
    verified = {"code": "verified", "label": "Verified", "count": 1}
    assert verified in snapshot(monitor, period)["triage"]
    assert snapshot(monitor, period) == snapshot(monitor, period, rollup=False)
    rollup_builds.refresh()
    assert not DirtyDay.objects.exists()
    assert verified in snapshot(monitor, period)["triage"]
