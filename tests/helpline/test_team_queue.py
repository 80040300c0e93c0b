"""The console by team (issue 13 item 5): an operator's queue is their teams' cases and the shared
queue; a supervisor sees all teams or picks one; the live page knows which teams it shows; the team
page shows each person's workload and the routing rules."""

from __future__ import annotations

import re

import pytest

from cases.models import Language, RoutingRule, Team
from tests.factories import CaseFactory, StaffFactory, category

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr id="case-([A-Z]+-\d{4}-\d+)"')


def listed(html: str) -> set[str]:
    return set(ROW.findall(html))


@pytest.fixture
def teams(helpline) -> dict[str, Team]:
    return {
        "north": Team.objects.create(helpline=helpline, name="North team"),
        "south": Team.objects.create(helpline=helpline, name="South team"),
    }


@pytest.fixture
def cases(helpline, teams) -> dict[str, str]:
    """A waiting case in each queue, by queue."""
    return {
        "north": CaseFactory(helpline=helpline, team=teams["north"]).number,
        "south": CaseFactory(helpline=helpline, team=teams["south"]).number,
        "shared": CaseFactory(helpline=helpline).number,
    }


def test_an_operator_sees_their_teams_and_the_shared_queue(
    operator, teams, cases, otp_client
) -> None:
    teams["north"].members.add(operator)
    client = otp_client(operator)

    page = client.get("/console/").content.decode()

    assert listed(page) == {cases["north"], cases["shared"]}
    assert "Your teams (North team) and the shared queue" in page
    assert 'id="queue-team"' in page
    assert 'name="team"' not in page  # no picker for operators
    assert "(2) Queue" in page  # the unclaimed count is of this queue
    # asking for every team changes nothing for them, on the page or its live rows
    assert listed(client.get("/console/?team=all").content.decode()) == listed(page)
    assert listed(client.get("/console/rows/?team=all").content.decode()) == listed(page)
    assert listed(client.get(f"/console/rows/?team={teams['south'].pk}").content.decode()) == (
        listed(page)
    )


def test_an_operator_in_no_team_sees_the_shared_queue(operator, cases, otp_client) -> None:
    page = otp_client(operator).get("/console/").content.decode()
    assert listed(page) == {cases["shared"]}
    assert "Showing: The shared queue" in page


def test_without_teams_the_queue_is_the_whole_helplines(operator, helpline, otp_client) -> None:
    numbers = {CaseFactory(helpline=helpline).number for _ in range(3)}
    assert listed(otp_client(operator).get("/console/").content.decode()) == numbers


def test_a_supervisor_sees_all_teams_or_picks_one(supervisor, teams, cases, otp_client) -> None:
    client = otp_client(supervisor)

    page = client.get("/console/").content.decode()
    assert listed(page) == set(cases.values())  # in no team: all of them
    for label in ("All teams", "The shared queue", "North team", "South team"):
        assert f">{label}</option>" in page
    south = teams["south"].pk
    assert listed(client.get(f"/console/?team={south}").content.decode()) == {cases["south"]}
    assert listed(client.get(f"/console/rows/?team={south}").content.decode()) == {cases["south"]}
    assert listed(client.get("/console/?team=shared").content.decode()) == {cases["shared"]}
    assert listed(client.get("/console/?team=all").content.decode()) == set(cases.values())


def test_a_supervisor_in_a_team_starts_from_it_and_may_switch(
    supervisor, teams, cases, otp_client
) -> None:
    teams["south"].members.add(supervisor)
    client = otp_client(supervisor)

    page = client.get("/console/").content.decode()
    assert listed(page) == {cases["south"], cases["shared"]}
    assert '<option value="" selected>Your teams and the shared queue</option>' in page
    assert listed(client.get("/console/?team=all").content.decode()) == set(cases.values())


def test_another_helplines_team_or_nonsense_is_the_default(
    supervisor, other_helpline, cases, otp_client
) -> None:
    theirs = Team.objects.create(helpline=other_helpline, name="Their team")
    client = otp_client(supervisor)
    everything = set(cases.values())
    for choice in (str(theirs.pk), "99999999999999", "-1", "north"):
        assert listed(client.get(f"/console/?team={choice}").content.decode()) == everything


def test_the_live_page_knows_which_teams_it_shows(operator, teams, otp_client) -> None:
    teams["north"].members.add(operator)
    teams["south"].members.add(operator)
    page = otp_client(operator).get("/console/").content.decode()

    ids = ",".join(str(pk) for pk in sorted(team.pk for team in teams.values()))
    assert 'data-scope-all="false"' in page
    assert f'data-scope-teams="{ids}"' in page
    assert 'data-scope-shared="true"' in page


def test_the_team_choice_stays_through_views_filters_search_and_refresh(
    supervisor, teams, otp_client
) -> None:
    client = otp_client(supervisor)
    south = teams["south"].pk

    page = client.get(f"/console/?team={south}&view=unclaimed").content.decode()

    assert f'hx-get="/console/rows/?view=unclaimed&amp;team={south}"' in page
    assert f'href="?view=mine&amp;team={south}"' in page
    assert f'<input type="hidden" name="team" value="{south}">' in page
    searched = client.post("/console/", {"q": "Testperson", "team": str(south)})
    assert searched.status_code == 302
    assert f"team={south}" in searched["Location"]
    assert "Testperson" not in searched["Location"]


def test_the_team_page_shows_each_persons_workload_and_teams(
    operator, supervisor, helpline, teams, otp_client
) -> None:
    teams["north"].members.add(operator)
    teams["south"].members.add(operator, supervisor)
    CaseFactory(helpline=helpline, status="in_triage", claimed_by=operator)
    CaseFactory(helpline=helpline, status="referred", claimed_by=operator)
    CaseFactory(helpline=helpline, status="closed", claimed_by=operator)
    StaffFactory(organisation=helpline, role="operator", username="newcomer")

    page = otp_client(supervisor).get("/console/team/").content.decode()

    row = re.search(rf'<tr id="workload-{operator.username}">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[1:] == ["North team, South team", "1", "2"]
    newcomer = re.search(r'<tr id="workload-newcomer">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r"<td>(.*?)</td>", newcomer)[1:] == ["Shared queue only", "0", "0"]


def test_the_team_page_lists_the_rules_read_only(supervisor, helpline, teams, otp_client):
    RoutingRule.objects.create(
        helpline=helpline, team=teams["north"], position=10, channel="sms",
        language=Language.objects.get(code="pl"),
    )  # fmt: skip
    RoutingRule.objects.create(
        helpline=helpline, team=teams["south"], position=20, category=category("physical")
    )
    RoutingRule.objects.create(helpline=helpline, team=teams["south"], position=30, force="Met")

    page = otp_client(supervisor).get("/console/team/").content.decode()

    rules = page[page.index('id="routing-rules"') :]
    assert "the victim speaks Polish; channel is SMS" in rules
    assert "category is" in rules
    assert "force is Met" in rules
    assert rules.index("North team") < rules.index("South team")
    assert "/admin/" not in rules
    assert "<form" not in rules[: rules.index("</table>")]
