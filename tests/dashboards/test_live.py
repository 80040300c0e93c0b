"""The live dashboard's figures (dashboards.live) against a small, hand-counted world: two helplines,
their reports, queue, referrals and the last hour's claims and verifications; who may see them, and
that counting them costs the same few queries however many cases there are."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client

from accounts.models import Organisation, User
from cases.models import Case, Report
from cases.services import move_case
from dashboards.live import counted_figures, live_figures, share
from project.history import attribute_change
from referrals.models import Referral
from tests.factories import CaseFactory, ReferralFactory, ReportFactory, StaffFactory, category

pytestmark = pytest.mark.django_db

S = Case.Status
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 10, 14, 30, tzinfo=LONDON)  # GMT: local midnight is UTC midnight
SENDER = "+447700900321"  # Ofcom's drama range
BODY = "Made-up words that must never reach a dashboard."


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def opened(helpline: Organisation, when: datetime, *, report: bool = True, **fields) -> Case:  # type: ignore[no-untyped-def]
    """A case opened at `when`, with its first report then (as intake does) unless told not to."""
    with at(when):
        case = CaseFactory(helpline=helpline, **fields)
        if report:
            ReportFactory(case=case, sender=SENDER, body=BODY)
    return case


def move(case: Case, to: str, actor: User, when: datetime) -> Case:
    with at(when):
        return move_case(case=case, to=to, actor=actor, reason="Test move")


def categorise(case: Case, code: str, actor: User, when: datetime) -> None:
    """What verify_case does first: details saved while the case is in triage (no status change)."""
    with at(when):
        case.refresh_from_db()
        case.category = category(code)
        attribute_change(case, actor=actor, reason="Details recorded at verification")
        case.save(update_fields=["category", "updated_at"])


def figures_of(user: User) -> dict:
    """What the user is shown."""
    with at(NOW):
        return dict(live_figures(User.objects.get(pk=user.pk)))


def counted_for(user: User) -> dict:
    """The exact counts behind what the user is shown."""
    with at(NOW):
        return dict(counted_figures(User.objects.get(pk=user.pk)))


def counts(rows: list[dict]) -> dict[str, int]:
    return {row["label"]: row["count"] for row in rows}


@pytest.fixture
def bola(other_helpline: Organisation) -> User:
    return StaffFactory(username="bola", organisation=other_helpline, role=User.Role.OPERATOR)


@pytest.fixture
def south_supervisor(other_helpline: Organisation) -> User:
    return StaffFactory(username="sade", organisation=other_helpline, role=User.Role.SUPERVISOR)


@pytest.fixture
def world(
    helpline: Organisation,
    other_helpline: Organisation,
    operator: User,
    supervisor: User,
    bola: User,
) -> None:
    """Two helplines at NOW (14:30 on a winter Tuesday). The counts each test expects are worked
    out by hand in the comments."""
    amina, joan = operator, supervisor
    # North --------------------------------------------------------------------------------------
    # Yesterday: a case claimed and verified (outside the hour), with a follow-up SMS today.
    n4 = opened(helpline, ago(hours=26))
    move(n4, S.IN_TRIAGE, amina, ago(hours=25))
    categorise(n4, "physical", amina, ago(hours=25))
    move(n4, S.VERIFIED, amina, ago(hours=25))
    with at(ago(minutes=30)):
        ReportFactory(case=n4, sender=SENDER, body=BODY)
    # Older cases: two referred (one referral past its deadline), one closed, one archived.
    n5 = opened(
        helpline, ago(days=3), report=False, status=S.REFERRED, category=category("physical")
    )
    n6 = opened(helpline, ago(days=5), report=False, status=S.REFERRED, category=category("sexual"))
    ReferralFactory(case=n5, status=Referral.Status.PENDING, deadline=ago(hours=1))
    ReferralFactory(case=n5, status=Referral.Status.DECLINED, deadline=ago(hours=2))
    ReferralFactory(case=n6, status=Referral.Status.PENDING, deadline=NOW + timedelta(hours=2))
    opened(helpline, ago(days=10), report=False, status=S.CLOSED, category=category("physical"))
    opened(helpline, ago(days=200), report=False, status=S.ARCHIVED)
    # This morning: an SMS claimed and discarded before the hour.
    n8 = opened(helpline, ago(hours=3))
    move(n8, S.IN_TRIAGE, amina, ago(hours=2, minutes=50))
    move(n8, S.DISCARDED, amina, ago(hours=2, minutes=49))
    # A web report claimed in the hour, its details then saved (no second claim).
    n3 = opened(helpline, ago(hours=2), channel=Case.Channel.WEB)
    move(n3, S.IN_TRIAGE, amina, ago(minutes=50))
    categorise(n3, "other", amina, ago(minutes=45))
    # The supervisor claims and verifies an SMS in the hour.
    n10 = opened(helpline, ago(minutes=40))
    move(n10, S.IN_TRIAGE, joan, ago(minutes=35))
    categorise(n10, "coercive-control", joan, ago(minutes=31))
    move(n10, S.VERIFIED, joan, ago(minutes=30))
    # A high-priority call 20 minutes old (past its 5-minute target): claimed, then released.
    n2 = opened(helpline, ago(minutes=20), channel=Case.Channel.VOICE, priority="high")
    move(n2, S.IN_TRIAGE, amina, ago(minutes=12))
    move(n2, S.NEW, amina, ago(minutes=11))
    # A standard SMS 10 minutes old: within its 60-minute target.
    opened(helpline, ago(minutes=10))
    # South --------------------------------------------------------------------------------------
    opened(other_helpline, ago(minutes=30), priority="high")  # past its target
    s2 = opened(other_helpline, ago(minutes=40))
    move(s2, S.IN_TRIAGE, bola, ago(minutes=38))
    categorise(s2, "stalking", bola, ago(minutes=37))
    move(s2, S.VERIFIED, bola, ago(minutes=36))
    ReferralFactory(case=s2, status=Referral.Status.PENDING, deadline=ago(minutes=10))
    opened(
        other_helpline,
        ago(days=2),
        report=False,
        status=S.IN_SERVICE,
        category=category("stalking"),
    )


# The figures, counted by hand ---------------------------------------------------------------------


def test_a_supervisor_counts_their_own_helpline(world: None, supervisor: User) -> None:
    figures = figures_of(supervisor)

    # SMS: n8 (11:30), n10 (13:50), n4's follow-up (14:00), n1 (14:20); web: n3 (12:30);
    # phone: n2 (14:10). n4's first SMS was yesterday. South's are not theirs.
    assert (figures["reports"]["today"], figures["reports"]["last_hour"]) == (6, 4)
    assert {r["label"]: (r["last_hour"], r["today"]) for r in figures["reports"]["by_channel"]} == {
        "SMS": (3, 4),
        "Phone": (1, 1),
        "Web form": (0, 1),
        "Police feed": (0, 0),
        "API": (0, 0),
        "Walk-in": (0, 0),
        "Phone (outside line)": (0, 0),
        "Partner": (0, 0),
        "Email": (0, 0),
        "Other": (0, 0),
        "WhatsApp": (0, 0),
        "Web chat": (0, 0),
    }
    # n1 and n2 unclaimed, n3 in triage; n2 has waited longest, 20 minutes, past its target.
    assert figures["queue"] == {
        "length": 3,
        "unclaimed": 2,
        "in_triage": 1,
        "oldest_waiting_seconds": 20 * 60,
    }
    assert figures["sla_breaches"] == 1
    # Open: n1 n2 new, n3 in triage, n4 n10 verified, n5 n6 referred; closed, archived and
    # discarded ones are not open.
    assert figures["open_cases"] == 7
    assert counts(figures["by_status"]) == {
        "New": 2,
        "In triage": 1,
        "Verified": 2,
        "Referred": 2,
        "In service": 0,
        "Resolved": 0,
    }
    assert counts(figures["by_category"]) == {
        "Physical violence": 2,
        "Not yet categorised": 2,
        "Coercive control": 1,
        "Other": 1,
        "Sexual violence": 1,
    }
    assert [row["label"] for row in figures["by_category"]][:2] == [
        "Not yet categorised",  # largest first, then by label
        "Physical violence",
    ]
    assert counts(figures["by_helpline"]) == {"North Helpline": 7}
    # n5's and n6's pending referrals, n5's past its deadline (the declined one does not count).
    assert figures["referrals"] == {"pending": 2, "overdue": 1}
    # In the hour amina claimed n3 and n2 (the release, and saving n3's details, are no claims);
    # joan claimed and verified n10. Yesterday's and this morning's moves are older.
    assert figures["activity"] == {
        "by": "operator",
        "claims": 3,
        "verifications": 1,
        "rows": [
            {"label": "amina", "claims": 2, "verifications": 0},
            {"label": "joan", "claims": 1, "verifications": 1},
        ],
    }
    assert figures["generated_at"] == NOW.isoformat()


def test_a_monitor_counts_every_helpline_and_names_no_one(world: None, monitor: User) -> None:
    figures = counted_for(monitor)

    # North's 6 and 4, and South's two SMS in the hour.
    assert (figures["reports"]["today"], figures["reports"]["last_hour"]) == (8, 6)
    # South's high-priority SMS has waited 30 minutes: the oldest, and a second breach.
    assert figures["queue"] == {
        "length": 4,
        "unclaimed": 3,
        "in_triage": 1,
        "oldest_waiting_seconds": 30 * 60,
    }
    assert figures["sla_breaches"] == 2
    assert figures["open_cases"] == 10
    assert counts(figures["by_status"]) == {
        "New": 3,
        "In triage": 1,
        "Verified": 3,
        "Referred": 2,
        "In service": 1,
        "Resolved": 0,
    }
    assert counts(figures["by_category"])["Stalking or harassment"] == 2
    assert counts(figures["by_category"])["Not yet categorised"] == 3
    assert counts(figures["by_helpline"]) == {"North Helpline": 7, "South Helpline": 3}
    assert figures["referrals"] == {"pending": 3, "overdue": 2}
    # Per helpline only: monitors oversee helplines, not people.
    assert figures["activity"] == {
        "by": "helpline",
        "claims": 4,
        "verifications": 2,
        "rows": [
            {"label": "North Helpline", "claims": 3, "verifications": 1},
            {"label": "South Helpline", "claims": 1, "verifications": 1},
        ],
    }
    text = json.dumps(figures)
    for name in ("amina", "joan", "bola"):
        assert name not in text


def test_a_monitor_is_shown_the_counts_suppressed_a_supervisor_exact(
    world: None, monitor: User, supervisor: User
) -> None:
    shown, counted = figures_of(monitor), counted_for(monitor)

    assert shown == share(counted)  # type: ignore[arg-type]
    assert counted["queue"]["length"] == 4
    assert shown["queue"] == {
        "length": "<5",
        "unclaimed": "<5",
        "in_triage": "<5",
        "oldest_waiting_seconds": None,  # goes with the number waiting
    }
    assert (shown["sla_breaches"], shown["open_cases"]) == ("<5", 10)
    # 10 open cases = North's 7 + South's 3: with the 3 a "<5", 7 would give it away
    assert counts(shown["by_helpline"]) == {"North Helpline": "[c]", "South Helpline": "<5"}
    assert figures_of(supervisor) == counted_for(supervisor)


def test_figures_hold_nothing_about_the_people_in_a_case(
    world: None, monitor: User, supervisor: User
) -> None:
    for user in (monitor, supervisor):
        text = json.dumps(figures_of(user))  # JSON-serialisable as it is
        assert SENDER not in text
        assert SENDER.removeprefix("+44") not in text
        assert "Made-up words" not in text
        assert not any(number in text for number in Case.objects.values_list("number", flat=True))


def test_another_helplines_supervisor_sees_none_of_north(
    world: None, south_supervisor: User
) -> None:
    figures = figures_of(south_supervisor)

    assert counts(figures["by_helpline"]) == {"South Helpline": 3}
    assert (figures["reports"]["today"], figures["queue"]["length"]) == (2, 1)
    assert figures["referrals"] == {"pending": 1, "overdue": 1}
    assert figures["activity"]["rows"] == [{"label": "bola", "claims": 1, "verifications": 1}]
    assert "North Helpline" not in json.dumps(figures)


def test_today_starts_at_local_midnight(helpline: Organisation, supervisor: User) -> None:
    # given: 00:20 in British Summer Time, when local midnight is 23:00 UTC
    now = datetime(2026, 7, 10, 0, 20, tzinfo=LONDON)
    opened(helpline, now - timedelta(minutes=10))  # 00:10 today
    opened(helpline, now - timedelta(minutes=30))  # 23:50 yesterday, yet in the last hour
    opened(helpline, now - timedelta(minutes=90))  # 22:50 yesterday: neither

    # when
    with at(now):
        figures = live_figures(User.objects.get(pk=supervisor.pk))

    # then
    assert (figures["reports"]["today"], figures["reports"]["last_hour"]) == (1, 2)


def test_nothing_to_count(helpline: Organisation, supervisor: User) -> None:
    figures = figures_of(supervisor)

    assert figures["queue"] == {
        "length": 0,
        "unclaimed": 0,
        "in_triage": 0,
        "oldest_waiting_seconds": None,
    }
    assert figures["by_category"] == figures["by_helpline"] == figures["activity"]["rows"] == []
    assert all(row["count"] == 0 for row in figures["by_status"])


# Who may see figures --------------------------------------------------------------------------


@pytest.fixture(params=["operator", "cso_rep", "admin_user"])
def without_figures(request: pytest.FixtureRequest) -> User:
    """Verified staff whose role has no dashboard."""
    return request.getfixturevalue(request.param)


def test_staff_without_figures_are_refused(without_figures: User) -> None:
    with pytest.raises(PermissionDenied):
        live_figures(without_figures)


@pytest.mark.parametrize("url", ["/dashboards/", "/dashboards/tiles/"])
def test_the_page_is_403_to_staff_without_figures(
    url: str, without_figures: User, otp_client: Callable[[User], Client]
) -> None:
    assert otp_client(without_figures).get(url).status_code == 403


def test_a_supervisor_of_an_inactive_helpline_is_refused(
    supervisor: User, otp_client: Callable[[User], Client]
) -> None:
    client = otp_client(supervisor)
    Organisation.objects.filter(pk=supervisor.organisation_id).update(is_active=False)

    assert client.get("/dashboards/").status_code == 403
    with pytest.raises(PermissionDenied):
        live_figures(User.objects.get(pk=supervisor.pk))


# The page -----------------------------------------------------------------------------------------


def test_the_page_shows_every_tile_in_words_with_its_time(
    world: None, monitor: User, otp_client: Callable[[User], Client]
) -> None:
    client = otp_client(monitor)

    with at(NOW):
        response = client.get("/dashboards/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    # a monitor's figures are shared ones: "<5", and [c] where a total would give a "<5" away
    assert 'id="figure-reports-today">8<' in html
    assert 'id="figure-reports-hour">[c]<' in html  # 6 = 5 SMS + 1 call: the 1 would show
    assert 'id="figure-queue">&lt;5<' in html
    assert 'id="figure-oldest">[c]<' in html  # with 3 waiting, nearly one report's own time
    assert 'id="figure-sla">&lt;5<' in html
    assert 'id="figure-referrals">&lt;5<' in html
    assert 'id="suppression-note"' in html
    assert html.count('Updated <time datetime="2026-03-10T14:30:00+00:00">14:30:00</time>') == 7
    assert "Not live: reload for new figures" in html  # until dashboard.js says otherwise
    for caption in ("Open cases by status", "Open cases by category", "Open cases by helpline"):
        assert f"<caption>{caption}</caption>" in html
    assert "<script>" not in html  # CSP: scripts are files only
    assert SENDER not in html
    assert "Made-up words" not in html
    assert "amina" not in html


def test_a_supervisors_page_names_their_operators_only(
    world: None, supervisor: User, otp_client: Callable[[User], Client]
) -> None:
    with at(NOW):
        html = otp_client(supervisor).get("/dashboards/tiles/").content.decode()

    assert 'id="figure-reports-today">6<' in html
    assert 'id="figure-queue">3<' in html  # exact: a helpline's own supervisors
    assert 'id="suppression-note"' not in html
    assert "amina" in html
    assert "South Helpline" not in html
    assert "bola" not in html


@pytest.mark.parametrize(
    ("role", "start"),
    [("monitor", "/dashboards/"), ("supervisor", "/console/"), ("operator", "/console/")],
)
def test_monitors_land_on_the_dashboard(
    role: str, start: str, request: pytest.FixtureRequest, otp_client: Callable[[User], Client]
) -> None:
    client = otp_client(request.getfixturevalue(role))

    assert client.get("/")["Location"] == start


def test_the_dashboard_is_in_the_navigation_of_those_with_figures(
    monitor: User, supervisor: User, operator: User, otp_client: Callable[[User], Client]
) -> None:
    for user, shown in ((monitor, True), (supervisor, True), (operator, False)):
        links = otp_client(user).get("/cases/").context["nav_links"]
        assert (("Dashboard", "/dashboards/") in links) is shown


# The cost -----------------------------------------------------------------------------------------


def _grow(helpline: Organisation, operator: User, n: int) -> None:
    for i in range(n):
        case = opened(helpline, ago(minutes=5 + i), category=category("physical"))
        if i % 2:
            move(case, S.IN_TRIAGE, operator, ago(minutes=4))
        if i % 5 == 0:
            ReferralFactory(case=case, status=Referral.Status.PENDING, deadline=ago(minutes=1))


@pytest.mark.parametrize("user_fixture", ["monitor", "supervisor"])
def test_the_queries_are_few_and_do_not_grow_with_the_cases(
    user_fixture: str,
    request: pytest.FixtureRequest,
    helpline: Organisation,
    other_helpline: Organisation,
    operator: User,
    django_assert_max_num_queries,
) -> None:  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(user_fixture)
    used = []
    for total in (5, 50):
        _grow(helpline, operator, total - Case.objects.count())
        fresh = User.objects.select_related("organisation").get(pk=user.pk)
        # 2 for the permissions, the SLA targets, 4 aggregates, the names of the categories and
        # helplines counted
        with at(NOW), django_assert_max_num_queries(9) as queries:
            figures = live_figures(fresh)
        assert figures["open_cases"] == total
        used.append(len(queries))
    assert used[0] == used[1]
    assert Report.objects.count() == 50
