"""Moving a case between teams' queues (issue 13 item 5): with a reason kept in the history, by a
supervisor or the operator holding the case, to one of the helpline's active teams or the shared
queue; over the API, from the case page, and the admin pages where teams and rules are edited."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.models import Case, RoutingRule, Team
from cases.routing import assign_team
from cases.teams import move_case_to_team, workload
from cases.workflow import CaseError, NotAllowedError, ReadOnlyError
from tests.accounts.test_admin import client_for, make_superuser
from tests.factories import CaseFactory, ReferralFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(helpline) -> Team:
    return Team.objects.create(helpline=helpline, name="North team")


@pytest.fixture
def south(helpline) -> Team:
    return Team.objects.create(helpline=helpline, name="South team")


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


def held_by(user, helpline, **fields) -> Case:
    return CaseFactory(helpline=helpline, status="in_triage", claimed_by=user, **fields)


# The service ---------------------------------------------------------------------------------------


def test_a_supervisor_moves_a_case_with_a_reason_kept_in_the_history(
    supervisor, helpline, north, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    case = CaseFactory(helpline=helpline)

    with django_capture_on_commit_callbacks(execute=True):
        moved = move_case_to_team(
            case=case, team=north, actor=supervisor, reason="Made-up: they cover this town"
        )

    assert moved.team == north
    row = Case.objects.get(pk=case.pk).history.first()
    assert (row.team_id, row.history_user) == (north.pk, supervisor)
    assert row.history_change_reason == "Moved to North team: Made-up: they cover this town"
    updated = [event for _, event in captured_broadcasts if event.get("type") == "case.updated"]
    assert updated[0]["case"]["team"] == north.pk


def test_back_to_the_shared_queue(supervisor, helpline, north) -> None:
    case = CaseFactory(helpline=helpline, team=north)
    moved = move_case_to_team(case=case, team=None, actor=supervisor, reason="Made-up reason")
    assert moved.team is None
    assert moved.history.first().history_change_reason.startswith("Moved to the shared queue: ")


def test_moving_where_it_already_is_changes_nothing(supervisor, helpline, north) -> None:
    case = CaseFactory(helpline=helpline)
    move_case_to_team(case=case, team=north, actor=supervisor, reason="Made-up reason")
    rows = case.history.count()

    move_case_to_team(case=case, team=north, actor=supervisor, reason="Made-up reason")

    assert case.history.count() == rows


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(supervisor, helpline, north, reason) -> None:
    case = CaseFactory(helpline=helpline)
    with pytest.raises(CaseError, match="Say why"):
        move_case_to_team(case=case, team=north, actor=supervisor, reason=reason)
    case.refresh_from_db()
    assert case.team is None


def test_another_helplines_team_or_a_switched_off_one_is_refused(
    supervisor, helpline, other_helpline
) -> None:
    theirs = Team.objects.create(helpline=other_helpline, name="Their team")
    closed = Team.objects.create(helpline=helpline, name="Closed", is_active=False)
    case = CaseFactory(helpline=helpline)
    for team in (theirs, closed):
        with pytest.raises(CaseError, match="active teams"):
            move_case_to_team(case=case, team=team, actor=supervisor, reason="Made-up reason")
    case.refresh_from_db()
    assert case.team is None


@pytest.mark.parametrize(
    ("who", "case_kind", "allowed"),
    [
        ("supervisor", "new", True),
        ("supervisor", "held by someone", True),
        ("operator", "held by them", True),
        ("operator", "new", False),
        ("operator", "held by someone", False),
        ("operator", "verified by them", False),
        ("cso_rep", "referred to them", False),
        ("other_operator", "new", False),
        ("monitor", "new", False),
    ],
)
def test_who_may_move_a_case(request, helpline, north, who, case_kind, allowed) -> None:
    actor = request.getfixturevalue(who)
    someone = StaffFactory(organisation=helpline)
    case = {
        "new": lambda: CaseFactory(helpline=helpline),
        "held by someone": lambda: held_by(someone, helpline),
        "held by them": lambda: held_by(actor, helpline),
        "verified by them": lambda: CaseFactory(
            helpline=helpline, status="verified", claimed_by=actor
        ),
        "referred to them": lambda: (
            ReferralFactory(
                case=CaseFactory(helpline=helpline, status="referred"),
                organisation=actor.organisation,
            ).case
        ),
    }[case_kind]()

    if allowed:
        assert move_case_to_team(case=case, team=north, actor=actor, reason="Made-up").team == north
    else:
        with pytest.raises(NotAllowedError):
            move_case_to_team(case=case, team=north, actor=actor, reason="Made-up")
        case.refresh_from_db()
        assert case.team is None


@pytest.mark.parametrize("status", ["archived", "merged"])
def test_a_read_only_case_is_not_moved(supervisor, helpline, north, status) -> None:
    case = CaseFactory(helpline=helpline, status=status)
    with pytest.raises(ReadOnlyError):
        move_case_to_team(case=case, team=north, actor=supervisor, reason="Made-up")


def test_routing_keeps_a_case_where_a_person_put_it(supervisor, helpline, north, south) -> None:
    RoutingRule.objects.create(helpline=helpline, team=south, position=1)
    case = CaseFactory(helpline=helpline)
    assert assign_team(case) == south

    case = move_case_to_team(case=case, team=None, actor=supervisor, reason="Made-up: nobody's yet")

    assert assign_team(case) is None
    case.refresh_from_db()
    assert case.team is None


# The API -------------------------------------------------------------------------------------------


def test_api_moves_and_answers_with_the_team(supervisor, helpline, north) -> None:
    case = CaseFactory(helpline=helpline)
    url = f"/api/v1/cases/{case.number}/team/"

    answer = api_for(supervisor).post(url, {"team": north.pk, "reason": "Made-up"}, format="json")

    assert answer.status_code == 200
    assert answer.json() == {"number": case.number, "team": {"id": north.pk, "name": "North team"}}
    # the case itself says so too
    detail = api_for(supervisor).get(f"/api/v1/cases/{case.number}/").json()
    assert detail["team"] == {"id": north.pk, "name": "North team"}
    back = api_for(supervisor).post(url, {"team": None, "reason": "Made-up"}, format="json")
    assert back.status_code == 200
    assert back.json()["team"] is None
    assert api_for(supervisor).get(f"/api/v1/cases/{case.number}/").json()["team"] is None
    case.refresh_from_db()
    assert case.team is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "Made-up"}, "team"),
        ({"team": "north", "reason": "Made-up"}, "team"),
        ({"team": 1.5, "reason": "Made-up"}, "team"),
        ({"team": 0, "reason": "Made-up"}, "team"),
        ({"team": None}, "reason"),
        ({"team": None, "reason": ""}, "reason"),
        ({"team": None, "reason": 7}, "reason"),
    ],
)
def test_api_bad_input_is_400_and_moves_nothing(supervisor, helpline, body, field) -> None:
    case = CaseFactory(helpline=helpline)
    answer = api_for(supervisor).post(f"/api/v1/cases/{case.number}/team/", body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    assert case.history.count() == 1


def test_api_another_helplines_team_is_400_like_a_team_that_does_not_exist(
    supervisor, helpline, other_helpline
) -> None:
    theirs = Team.objects.create(helpline=other_helpline, name="Their team")
    case = CaseFactory(helpline=helpline)
    url = f"/api/v1/cases/{case.number}/team/"
    for team_id in (theirs.pk, theirs.pk + 1000):
        answer = api_for(supervisor).post(url, {"team": team_id, "reason": "x"}, format="json")
        assert answer.status_code == 400
        assert "Their team" not in answer.content.decode()
    case.refresh_from_db()
    assert case.team is None


def test_api_errors_follow_the_policy(operator, other_operator, supervisor, helpline, north):
    body = {"team": north.pk, "reason": "Made-up"}
    case = CaseFactory(helpline=helpline)
    url = f"/api/v1/cases/{case.number}/team/"

    assert api_for(other_operator).post(url, body, format="json").status_code == 404
    assert api_for(operator).post(url, body, format="json").status_code == 403
    archived = CaseFactory(helpline=helpline, status="archived")
    answer = api_for(supervisor).post(f"/api/v1/cases/{archived.number}/team/", body, format="json")
    assert answer.status_code == 409
    assert answer.json()["status"] == "archived"
    assert api_for(supervisor).post("/api/v1/cases/LNT-2026-999999/team/", body).status_code == 404


def test_api_without_a_token_is_401(helpline, north) -> None:
    case = CaseFactory(helpline=helpline)
    answer = APIClient().post(
        f"/api/v1/cases/{case.number}/team/", {"team": None, "reason": "x"}, format="json"
    )
    assert answer.status_code == 401


# The case page ---------------------------------------------------------------------------------


def test_the_case_page_offers_the_move_to_those_allowed(
    operator, supervisor, helpline, north, otp_client
) -> None:
    case = CaseFactory(helpline=helpline, team=north)
    page = otp_client(supervisor).get(f"/cases/{case.number}/").content.decode()
    assert "North team" in page
    assert f'href="/cases/{case.number}/team/"' in page

    page = otp_client(operator).get(f"/cases/{case.number}/").content.decode()
    assert "North team" in page
    assert f'href="/cases/{case.number}/team/"' not in page
    assert otp_client(operator).get(f"/cases/{case.number}/team/").status_code == 403


def test_the_move_page_moves_with_a_reason(supervisor, helpline, north, south, otp_client):
    case = CaseFactory(helpline=helpline, team=north)
    client = otp_client(supervisor)
    url = f"/cases/{case.number}/team/"
    form = client.get(url).content.decode()
    assert "South team" in form
    assert "The shared queue" in form

    refused = client.post(url, {"team": south.pk, "reason": ""})
    assert refused.status_code == 400
    assert "Say why the case moves to another team" in refused.content.decode()
    case.refresh_from_db()
    assert case.team == north

    done = client.post(url, {"team": south.pk, "reason": "Made-up: south covers it"})
    assert done.status_code == 302
    assert done["Location"] == f"/cases/{case.number}/"
    case.refresh_from_db()
    assert case.team == south

    to_shared = client.post(url, {"team": "", "reason": "Made-up: anyone may take it"})
    assert to_shared.status_code == 302
    case.refresh_from_db()
    assert case.team is None


def test_the_move_page_refuses_a_team_not_in_the_list(
    supervisor, helpline, other_helpline, otp_client
) -> None:
    theirs = Team.objects.create(helpline=other_helpline, name="Their team")
    case = CaseFactory(helpline=helpline)
    answer = otp_client(supervisor).post(
        f"/cases/{case.number}/team/", {"team": theirs.pk, "reason": "Made-up"}
    )
    assert answer.status_code == 400
    assert "Choose a team from the list" in answer.content.decode()


# Workload ----------------------------------------------------------------------------------------


def test_workload_counts_what_each_person_holds_with_their_teams(
    operator, supervisor, helpline, north, south, other_helpline
) -> None:
    north.members.add(operator, supervisor)
    south.members.add(operator)
    Team.objects.create(helpline=helpline, name="Retired", is_active=False).members.add(operator)
    held_by(operator, helpline)
    held_by(operator, helpline)
    CaseFactory(helpline=helpline, status="verified", claimed_by=operator)
    CaseFactory(helpline=helpline, status="closed", claimed_by=operator)
    held_by(supervisor, helpline)
    StaffFactory(organisation=other_helpline)  # another helpline's people are not listed

    figures = {item.member.username: item for item in workload(helpline)}

    assert set(figures) == {operator.username, supervisor.username}
    mine = figures[operator.username]
    assert (mine.in_triage, mine.carried, mine.teams) == (2, 3, ["North team", "South team"])
    boss = figures[supervisor.username]
    assert (boss.in_triage, boss.carried, boss.teams) == (1, 1, ["North team"])


# Admin -----------------------------------------------------------------------------------------


def test_a_superuser_adds_a_team_whose_members_are_its_helplines_staff(
    helpline, other_helpline, operator, other_operator
) -> None:
    client = client_for(make_superuser())
    form = {
        "helpline": helpline.pk,
        "name": "Made-up team",
        "channels": ["sms", "web"],
        "members": [operator.pk, other_operator.pk],
        "is_active": "on",
    }

    refused = client.post("/admin/cases/team/add/", form)
    assert refused.status_code == 200
    assert "Members must be staff of the team" in refused.content.decode()
    assert not Team.objects.exists()

    form["members"] = [operator.pk]
    assert client.post("/admin/cases/team/add/", form).status_code == 302
    team = Team.objects.get()
    assert team.channels == ["sms", "web"]
    assert list(team.members.all()) == [operator]
    assert team.history.count() == 1


def test_a_rules_team_must_be_of_its_helpline(helpline, other_helpline) -> None:
    theirs = Team.objects.create(helpline=other_helpline, name="Their team")
    client = client_for(make_superuser())
    form = {"helpline": helpline.pk, "position": 10, "team": theirs.pk, "channel": "sms",
            "is_active": "on"}  # fmt: skip

    assert client.post("/admin/cases/routingrule/add/", form).status_code == 200
    assert not RoutingRule.objects.exists()
    mine = Team.objects.create(helpline=helpline, name="Ours")
    form["team"] = mine.pk
    assert client.post("/admin/cases/routingrule/add/", form).status_code == 302
    assert RoutingRule.objects.get().channel == "sms"
    assert client.get("/admin/cases/routingrule/").status_code == 200


def test_supervisors_do_not_get_the_admin(supervisor) -> None:
    answer = client_for(supervisor).get("/admin/cases/team/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/admin/login/")
