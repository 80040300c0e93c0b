"""Routing (issue 13 item 5): each new case, from any channel, lands in the queue of the team the
helpline's first matching rule names; no match leaves it in the shared queue."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Organisation
from cases.manual import NewVictim, StaffReport, open_staff_case
from cases.models import Area, Case, CaseCategory, Language, RoutingRule, Team
from cases.routing import assign_team
from cases.services import (
    IncidentDetails,
    IncomingReport,
    VictimDetails,
    open_case,
    open_reported_case,
)
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, category
from tests.twilio import post_signed, sms_params

pytestmark = pytest.mark.django_db


def team(helpline: Organisation, name: str, **fields: object) -> Team:
    return Team.objects.create(helpline=helpline, name=name, **fields)


def rule(helpline: Organisation, to: Team, position: int, **conditions: object) -> RoutingRule:
    return RoutingRule.objects.create(helpline=helpline, team=to, position=position, **conditions)


def new_case(helpline: Organisation, **fields: object) -> Case:
    return CaseFactory(helpline=helpline, **fields)


def test_a_rule_with_no_conditions_takes_every_case(helpline) -> None:
    everyone = team(helpline, "Everyone")
    rule(helpline, everyone, 10)
    case = new_case(helpline)

    assert assign_team(case) == everyone
    case.refresh_from_db()
    assert case.team == everyone
    assert case.history.first().history_change_reason == "Routed to Everyone by rule 10"


def test_no_rules_leave_the_case_in_the_shared_queue(helpline) -> None:
    case = new_case(helpline)
    assert assign_team(case) is None
    case.refresh_from_db()
    assert case.team is None


@pytest.mark.parametrize(
    ("condition", "matching", "other"),
    [
        ("channel", {"channel": "web"}, {"channel": "sms"}),
        ("area", {"area": "north"}, {"area": "south"}),
        ("category", {"category": "physical"}, {"category": "other"}),
    ],
)
def test_each_case_field_condition(helpline, condition, matching, other) -> None:
    def fields(given: dict[str, str]) -> dict[str, object]:
        value = given[condition]
        if condition == "area":
            return {"area": Area.objects.get(code=value)}
        if condition == "category":
            return {"category": category(value)}
        return {"channel": value}

    routed = team(helpline, "Routed")
    rule(helpline, routed, 10, **fields(matching))

    assert assign_team(new_case(helpline, **fields(matching))) == routed
    assert assign_team(new_case(helpline, **fields(other))) is None


def test_a_further_category_matches_too(helpline) -> None:
    stalking = team(helpline, "Stalking")
    rule(helpline, stalking, 10, category=category("physical"))
    case = new_case(helpline, category=category("other"))
    CaseCategory.objects.create(case=case, category=category("physical"))

    assert assign_team(case) == stalking


def test_language_is_the_victims(helpline) -> None:
    polish = Language.objects.get(code="pl")
    speakers = team(helpline, "Polish speakers")
    rule(helpline, speakers, 10, language=polish)
    case = new_case(helpline)
    CasePersonFactory(case=case, person=PersonFactory(language=polish), role="reporter")
    assert assign_team(case) is None  # a reporter's language is not the victim's

    CasePersonFactory(case=case, person=PersonFactory(language=polish), role="victim")
    assert assign_team(case) == speakers


def test_force_is_compared_without_case_and_only_feeds_have_one(helpline) -> None:
    met = team(helpline, "Met")
    rule(helpline, met, 10, force="Metropolitan Police Service")

    assert assign_team(new_case(helpline, channel="feed"), force=" metropolitan police service")
    assert assign_team(new_case(helpline, channel="feed"), force="City of London Police") is None
    assert assign_team(new_case(helpline, channel="sms")) is None


def test_every_condition_of_a_rule_must_hold(helpline) -> None:
    both = team(helpline, "North web")
    rule(helpline, both, 10, channel="web", area=Area.objects.get(code="north"))

    assert assign_team(new_case(helpline, channel="web")) is None
    assert (
        assign_team(new_case(helpline, channel="sms", area=Area.objects.get(code="north"))) is None
    )
    assert (
        assign_team(new_case(helpline, channel="web", area=Area.objects.get(code="north"))) == both
    )


def test_the_first_match_by_position_wins(helpline) -> None:
    first, second = team(helpline, "First"), team(helpline, "Second")
    rule(helpline, second, 20)
    rule(helpline, first, 10, channel="sms")

    assert assign_team(new_case(helpline, channel="sms")) == first
    assert assign_team(new_case(helpline, channel="web")) == second


def test_inactive_rules_and_teams_are_skipped(helpline) -> None:
    closed = team(helpline, "Closed", is_active=False)
    switched_off, fallback = team(helpline, "Switched off"), team(helpline, "Fallback")
    rule(helpline, closed, 10)
    rule(helpline, switched_off, 20).__class__.objects.filter(team=switched_off).update(
        is_active=False
    )
    rule(helpline, fallback, 30)

    assert assign_team(new_case(helpline)) == fallback


def test_another_helplines_rules_do_not_apply(helpline, other_helpline) -> None:
    rule(other_helpline, team(other_helpline, "Theirs"), 10)
    assert assign_team(new_case(helpline)) is None


def test_routing_again_changes_nothing(helpline) -> None:
    everyone = team(helpline, "Everyone")
    rule(helpline, everyone, 10)
    case = new_case(helpline)
    assign_team(case)
    rows = case.history.count()

    assert assign_team(case) == everyone
    assert case.history.count() == rows


def test_a_case_moved_by_hand_is_not_routed_again(helpline, supervisor) -> None:
    from cases.teams import move_case_to_team

    sms_team, web_team = team(helpline, "SMS"), team(helpline, "Web")
    rule(helpline, sms_team, 10, channel="sms")
    case = new_case(helpline)
    assign_team(case)
    case = move_case_to_team(case=case, team=web_team, actor=supervisor, reason="Web team knows")

    assert assign_team(case) == web_team
    case.refresh_from_db()
    assert case.team == web_team


def test_routing_costs_one_query_without_rules_and_a_fixed_number_with_them(helpline) -> None:
    case = new_case(helpline)
    with CaptureQueriesContext(connection) as none:
        assign_team(case)
    assert len(none) == 1

    speakers = team(helpline, "Speakers")
    for position in range(10):
        rule(helpline, speakers, position, language=Language.objects.get(code="pl"))
        rule(helpline, speakers, position, category=category("physical"))
    with CaptureQueriesContext(connection) as many:
        assign_team(case)
    # the rules, whether someone moved it by hand, its categories once, its victims' languages once
    assert len(many) == 4


SMS = "/intake/twilio/sms/"


def test_an_sms_lands_in_the_team_routed_by_channel(
    client: Client, helpline, captured_broadcasts, django_capture_on_commit_callbacks
) -> None:
    helpline.phone_number = "+447700900000"
    helpline.save()
    texts = team(helpline, "Text line")
    rule(helpline, texts, 10, channel="sms")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(client, SMS, sms_params("SM1", body="Made-up text."))

    assert response.status_code == 200

    case = Case.objects.get()
    assert case.team == texts
    created = [event for _, event in captured_broadcasts if event["type"] == "case.created"]
    assert created[0]["case"]["team"] == texts.pk  # the console places it at once


def test_a_web_report_is_routed_by_its_category(helpline) -> None:
    physical = team(helpline, "Physical harm")
    rule(helpline, physical, 10, category=category("physical"))
    report = IncomingReport(channel="web", source_id="web-routing-1")

    case, created = open_reported_case(
        helpline=helpline,
        report=report,
        incident=IncidentDetails(category=category("physical"), description="Made-up text."),
        victim=VictimDetails(name="Testperson Routing"),
    )

    assert created
    assert case.team == physical
    case.refresh_from_db()
    assert case.team == physical
    assert open_case(helpline=helpline, report=report)[1] is False  # a retry routes nothing again


def test_a_case_opened_by_staff_is_routed_by_the_victims_language(helpline, operator) -> None:
    polish = Language.objects.get(code="pl")
    speakers = team(helpline, "Polish speakers")
    rule(helpline, speakers, 10, language=polish)

    case, _ = open_staff_case(
        actor=operator,
        report=StaffReport(
            channel="walk_in",
            description="Made-up walk-in.",
            victim=NewVictim(name="Testperson Walkin", language=polish),
        ),
    )

    case.refresh_from_db()
    assert case.team == speakers
    assert case.history.filter(history_user=operator, team=speakers).exists()
