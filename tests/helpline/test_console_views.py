"""The operator console through its views: the queue and its rows partial, claim, release, take
next, verify, discard, and the supervisor's team view, reinstate and reassign."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from cases.models import AccessLog, Case, CasePerson, Category
from cases.selectors import REFRESH_AUDIT_SECONDS
from cases.services import IncidentDetails, IncomingReport, VictimDetails, open_reported_case
from cases.targets import PriorityTarget
from tests.factories import CaseFactory, ReportFactory, StaffFactory
from triage.services import claim_case

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr id="case-([A-Z]+-\d{4}-\d+)"')


def listed(html: str) -> list[str]:
    return ROW.findall(html)


def ago(**kwargs: int):
    return timezone.now() - timedelta(**kwargs)


def claimed(case: Case, by: User) -> Case:
    return claim_case(case=case, actor=by)


VERIFY_FORM = {
    "category": "coercive-control",
    "priority": "high",
    "incident_date": "2026-03-27",
    "incident_place": "Made-up Road",
    "incident_description": "Made-up account of what happened.",
    "victim_name": "Testperson Verified",
    "victim_age": "34",
    "victim_ethnicity": "Made-up",
    "victim_phone": "07700 900321",
    "victim_address": "1 Made-up Street",
    "contact": "allowed",
    "channels": ["sms"],
    "no_voicemail": "on",
    "safe_times": "Weekdays 10 to 2",
    "perp-TOTAL_FORMS": "2",
    "perp-INITIAL_FORMS": "0",
    "perp-MIN_NUM_FORMS": "0",
    "perp-MAX_NUM_FORMS": "20",
    "perp-0-name": "Made Up Person",
    "perp-0-age": "40",
    "perp-0-ethnicity": "",
    "perp-0-relationship": "ex-partner",
    # the second row left empty: skipped, not an error
    "perp-1-name": "",
    "perp-1-age": "",
    "perp-1-ethnicity": "",
    "perp-1-relationship": "",
}


# The queue ---------------------------------------------------------------------------------------


def test_queue_lists_the_helplines_new_and_claimed_cases_most_urgent_then_oldest(
    operator, supervisor, other_helpline, otp_client
) -> None:
    helpline = operator.organisation
    old_standard = CaseFactory(helpline=helpline, created_at=ago(minutes=50))
    new_high = CaseFactory(helpline=helpline, priority="high", created_at=ago(minutes=1))
    old_high = CaseFactory(helpline=helpline, priority="high", created_at=ago(minutes=3))
    medium = CaseFactory(helpline=helpline, priority="medium", created_at=ago(minutes=2))
    held = claimed(CaseFactory(helpline=helpline, created_at=ago(minutes=40)), supervisor)
    CaseFactory(helpline=helpline, status=Case.Status.VERIFIED)
    CaseFactory(helpline=helpline, status=Case.Status.DISCARDED)
    elsewhere = CaseFactory(helpline=other_helpline, priority="high")

    response = otp_client(operator).get("/console/")

    assert response.status_code == 200
    html = response.content.decode()
    assert listed(html) == [
        old_high.number,
        new_high.number,
        medium.number,
        old_standard.number,
        held.number,
    ]
    assert elsewhere.number not in html
    # priority in words, never colour alone; the claim in words
    assert ">High</span>" in html
    assert ">Medium</span>" in html
    assert ">Standard</span>" in html
    assert "Priority: " in html
    assert "Claimed by joan" in html
    assert f'href="/cases/{old_high.number}/"' in html
    assert "<title>(4) Queue · Lantern</title>" in html


def test_each_row_has_channel_in_words_a_waiting_clock_and_its_flags(
    operator, otp_client, settings
) -> None:
    settings.QUEUE_SLA_MINUTES = {"high": 5, "medium": 15, "standard": 60}
    late = CaseFactory(
        helpline=operator.organisation,
        channel=Case.Channel.VOICE,
        priority="high",
        needs_callback=True,
        created_at=ago(minutes=12, seconds=30),
    )
    first = CaseFactory(helpline=operator.organisation, created_at=ago(days=3))
    ReportFactory(case=first, sender="+447700900111")
    repeat = CaseFactory(helpline=operator.organisation, created_at=ago(minutes=1))
    ReportFactory(case=repeat, sender="+447700900111")

    html = otp_client(operator).get("/console/").content.decode()

    row = html[html.index(f'id="case-{late.number}"') :]
    row = row[: row.index("</tr>")]
    assert "Phone" in row
    assert "#telephone" in row
    assert "waiting 12:3" in row
    assert "Overdue 7 min" in row  # 12.5 min waited against a 5 min target
    assert "Needs call back" in row
    assert 'data-since-ms="' in row
    assert 'data-sla-ms="300000"' in row
    repeat_row = html[html.index(f'id="case-{repeat.number}"') :]
    assert "Contacted before" in repeat_row[: repeat_row.index("</tr>")]


def test_sla_targets_come_from_the_admins_deadlines(operator, otp_client) -> None:
    PriorityTarget.objects.filter(priority="standard").update(sla_minutes=2)
    CaseFactory(helpline=operator.organisation, created_at=ago(minutes=10))
    html = otp_client(operator).get("/console/").content.decode()
    assert "Overdue 8 min" in html


def test_saved_views_live_in_the_query_string_and_searches_by_id(operator, otp_client) -> None:
    helpline = operator.organisation
    mine = claimed(CaseFactory(helpline=helpline), operator)
    high = CaseFactory(helpline=helpline, priority="high")
    other = CaseFactory(helpline=helpline)
    client = otp_client(operator)

    assert listed(client.get("/console/?view=mine").content.decode()) == [mine.number]
    assert listed(client.get("/console/?view=high").content.decode()) == [high.number]
    unclaimed = listed(client.get("/console/?view=unclaimed").content.decode())
    assert unclaimed == [high.number, other.number]
    searched = client.post("/console/", {"q": other.number})
    assert other.number not in searched["Location"]  # posted: the words reach no URL
    found = client.get(searched["Location"]).content.decode()
    assert listed(found) == [other.number]
    # the live refresh asks for the same view
    assert 'hx-get="/console/rows/?view=high"' in client.get("/console/?view=high").content.decode()


def test_the_live_rows_re_running_a_search_are_audited_once_in_a_while(
    operator, otp_client
) -> None:
    """The rows partial runs the list and its search again on every case event: it is audited as
    a list, but once per list per REFRESH_AUDIT_SECONDS, not a row per refresh."""
    case = CaseFactory(helpline=operator.organisation)
    client = otp_client(operator)
    searched = client.post("/console/", {"q": case.number})["Location"]
    search_id = searched.split("search=")[1]
    rows_url = f"/console/rows/?search={search_id}"
    audited = AccessLog.objects.filter(user=operator, case=None)

    # given: the page with the search, audited as a search
    client.get(searched)
    assert list(audited.values_list("action", flat=True)) == [AccessLog.Action.SEARCH]

    # when: the rows refresh again and again, they add no row
    for _ in range(5):
        assert listed(client.get(rows_url).content.decode()) == [case.number]
    assert audited.count() == 1

    # ...until the interval has passed, when the search re-run is audited once more
    later = timezone.now() + timedelta(seconds=REFRESH_AUDIT_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        client.get(rows_url)
        client.get(rows_url)
    assert list(audited.order_by("pk").values_list("action", flat=True)) == [
        AccessLog.Action.SEARCH,
        AccessLog.Action.SEARCH,
    ]

    # a refresh of a list the page never showed (another search, the plain queue) is audited at once
    other = client.post("/console/", {"q": "07700 900999"})["Location"].split("search=")[1]
    client.get(f"/console/rows/?search={other}")
    client.get("/console/rows/")
    assert audited.count() == 4
    assert audited.order_by("-pk").first().action == AccessLog.Action.LIST


def test_the_rows_partial_is_the_tbody_with_the_title_and_count(operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation)
    html = otp_client(operator).get("/console/rows/").content.decode()
    assert "<title>(1) Queue · Lantern</title>" in html
    assert '<tbody id="queue-rows"' in html
    assert 'id="queue-count" hx-swap-oob="innerHTML"' in html
    assert listed(html) == [case.number]
    assert "<html" not in html


def test_rows_partial_costs_the_same_however_long_the_queue(
    operator, supervisor, otp_client, django_assert_max_num_queries
) -> None:
    helpline = operator.organisation
    client = otp_client(operator)
    CaseFactory(helpline=helpline)
    client.get("/console/rows/")  # the first request of a session also writes the session
    with CaptureQueriesContext(connection) as few:
        assert client.get("/console/rows/").status_code == 200

    for i in range(30):
        case = CaseFactory(helpline=helpline, priority=["high", "medium", "standard"][i % 3])
        ReportFactory(case=case, sender=f"+4477009002{i % 5:02d}")
        if i % 4 == 0:
            claimed(case, supervisor)
    with CaptureQueriesContext(connection) as many:
        html = client.get("/console/rows/").content.decode()
    assert len(listed(html)) == 31

    assert len(many) == len(few)
    with django_assert_max_num_queries(len(few)):
        client.get("/console/rows/")
    assert len(few) <= 12


# Claim, release, take next -----------------------------------------------------------------------


def test_claim_without_javascript_goes_back_to_the_queue(operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation)
    client = otp_client(operator)

    response = client.post(f"/console/{case.number}/claim/")

    assert response.status_code == 302
    assert response["Location"] == "/console/"
    case.refresh_from_db()
    assert (case.status, case.claimed_by) == (Case.Status.IN_TRIAGE, operator)
    html = client.get("/console/").content.decode()
    assert f"You claimed {case.number}." in html
    assert "Claimed by you" in html
    assert f'href="/console/{case.number}/verify/"' in html


def test_claim_with_htmx_answers_with_the_message_and_a_refresh(operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation)
    response = otp_client(operator).post(f"/console/{case.number}/claim/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == '{"queue-refresh": {}}'
    html = response.content.decode()
    assert 'id="console-feedback" hx-swap-oob="innerHTML"' in html
    assert f"You claimed {case.number}." in html


def test_claiming_someone_elses_case_says_who_and_when(operator, supervisor, otp_client) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), supervisor)
    client = otp_client(operator)

    response = client.post(f"/console/{case.number}/claim/", follow=True)

    assert response.status_code == 200
    at = timezone.localtime(case.claimed_at).strftime("%H:%M")
    assert f"Already claimed by joan at {at}." in response.content.decode()
    case.refresh_from_db()
    assert case.claimed_by == supervisor

    htmx = client.post(f"/console/{case.number}/claim/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200
    assert "Already claimed by joan" in htmx.content.decode()


def test_claiming_a_verified_case_is_a_message_not_an_error(operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation, status=Case.Status.VERIFIED)
    response = otp_client(operator).post(f"/console/{case.number}/claim/", follow=True)
    assert response.status_code == 200
    assert "A case that is verified cannot be claimed." in response.content.decode()


def test_release_puts_the_case_back(operator, otp_client) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    response = otp_client(operator).post(f"/console/{case.number}/release/")
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.claimed_by) == (Case.Status.NEW, None)


def test_only_the_holder_or_a_supervisor_releases(operator, supervisor, otp_client) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), supervisor)
    html = otp_client(operator).post(f"/console/{case.number}/release/", follow=True)
    assert "Already claimed by joan" in html.content.decode()
    case.refresh_from_db()
    assert case.claimed_by == supervisor

    mine = claimed(CaseFactory(helpline=operator.organisation), operator)
    response = otp_client(supervisor).post(
        f"/console/{mine.number}/release/", {"next": "/console/team/"}
    )
    assert response["Location"] == "/console/team/"
    mine.refresh_from_db()
    assert mine.status == Case.Status.NEW


def test_take_next_claims_the_most_urgent_oldest_and_opens_it(operator, otp_client) -> None:
    helpline = operator.organisation
    CaseFactory(helpline=helpline, created_at=ago(minutes=30))
    urgent = CaseFactory(helpline=helpline, priority="high", created_at=ago(minutes=1))
    client = otp_client(operator)

    response = client.post("/console/next/")

    assert response.status_code == 302
    assert response["Location"] == f"/console/{urgent.number}/verify/"
    urgent.refresh_from_db()
    assert (urgent.status, urgent.claimed_by) == (Case.Status.IN_TRIAGE, operator)


def test_take_next_with_nothing_waiting(operator, otp_client) -> None:
    response = otp_client(operator).post("/console/next/", follow=True)
    assert "Nothing is waiting in the queue." in response.content.decode()


def test_actions_are_post_only(operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation)
    client = otp_client(operator)
    assert client.get(f"/console/{case.number}/claim/").status_code == 405
    assert client.get("/console/next/").status_code == 405
    case.refresh_from_db()
    assert case.status == Case.Status.NEW


# Verify ------------------------------------------------------------------------------------------


def test_verify_records_the_case_the_victim_and_the_perpetrator(operator, otp_client) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    client = otp_client(operator)
    assert client.get(f"/console/{case.number}/verify/").status_code == 200

    response = client.post(f"/console/{case.number}/verify/", VERIFY_FORM)

    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == f"/cases/{case.number}/"
    case.refresh_from_db()
    assert (case.status, case.category.code, case.priority) == (
        "verified",
        "coercive-control",
        "high",
    )
    assert case.incident_location == "Made-up Road"
    assert timezone.localtime(case.incident_occurred_at).date().isoformat() == "2026-03-27"
    victim = case.people.get(role=CasePerson.Role.VICTIM).person
    assert (victim.name, victim.age, victim.phone) == ("Testperson Verified", 34, "+447700900321")
    assert victim.address == "1 Made-up Street"
    assert victim.contact_preferences == {
        "contact": "allowed",
        "channels": ["sms"],
        "no_voicemail": True,
        "no_text": False,
        "no_org_name": False,
        "updates": False,
        "portal": False,
        "safe_from": "",
        "safe_until": "",
        "language": "en",
        "safe_times": "Weekdays 10 to 2",
        "email": "",
    }
    perpetrator = case.people.get(role=CasePerson.Role.PERPETRATOR)
    assert (perpetrator.person.name, perpetrator.person.age) == ("Made Up Person", 40)
    assert perpetrator.relationship.code == "ex-partner"
    assert case.history.first().history_change_reason == "Verified as genuine"
    assert case.history.first().history_user == operator


def test_verify_is_prefilled_from_the_web_report(operator, otp_client) -> None:
    case, _ = open_reported_case(
        helpline=operator.organisation,
        report=IncomingReport(channel="web", source_id="web-1", body="Made-up words."),
        incident=IncidentDetails(
            category=Category.objects.get(code="stalking"),
            location="Made-up Park",
            description="Made-up words.",
            priority="high",
        ),
        victim=VictimDetails(
            name="Testperson Web",
            phone="+447700900654",
            contact_preferences={"contact": "only_if_i_contact_first", "channels": []},
        ),
    )
    claimed(case, operator)

    html = otp_client(operator).get(f"/console/{case.number}/verify/").content.decode()

    assert 'value="Testperson Web"' in html
    assert 'value="+447700900654"' in html
    assert 'value="Made-up Park"' in html
    assert re.search(r'<option value="stalking" selected>', html)
    assert re.search(r'value="high"[^>]*checked', html)
    assert re.search(r'value="only_if_i_contact_first"[^>]*checked', html)
    assert "<strong>Only if they contact us first</strong>" in html  # the pinned card
    assert "phone-from-report" not in html  # the victim gave that number themselves


def test_an_sms_number_is_offered_with_a_warning(operator, otp_client) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    ReportFactory(case=case, sender="+447700900777")
    html = otp_client(operator).get(f"/console/{case.number}/verify/").content.decode()
    assert 'value="+447700900777"' in html
    assert "the number the report came from" in html


def test_a_perpetrator_needs_a_relationship(operator, otp_client) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    data = {**VERIFY_FORM, "perp-0-relationship": ""}

    response = otp_client(operator).post(f"/console/{case.number}/verify/", data)

    assert response.status_code == 400
    assert "Choose how they are related to the victim" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.IN_TRIAGE
    assert not case.people.exists()


def test_category_and_priority_are_required(operator, otp_client) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    data = {**VERIFY_FORM, "category": "", "priority": ""}
    response = otp_client(operator).post(f"/console/{case.number}/verify/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_category">Choose a category' in html
    assert 'href="#id_priority_0">Choose a priority' in html
    case.refresh_from_db()
    assert case.status == Case.Status.IN_TRIAGE


def test_adding_a_perpetrator_row_without_javascript_keeps_what_was_typed(
    operator, otp_client
) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    data = {**VERIFY_FORM, "category": "", "add_perpetrator": "1"}

    response = otp_client(operator).post(f"/console/{case.number}/verify/", data)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="perp-TOTAL_FORMS" value="3"' in html
    assert 'name="perp-2-name"' in html
    assert 'value="Made Up Person"' in html
    assert 'value="Testperson Verified"' in html
    assert "There is a problem" not in html  # asking for a row is not a mistake
    case.refresh_from_db()
    assert case.status == Case.Status.IN_TRIAGE


def test_an_unclaimed_case_must_be_claimed_before_verifying(operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation)
    client = otp_client(operator)

    page = client.get(f"/console/{case.number}/verify/").content.decode()
    assert f"Claim {case.number}" in page
    assert 'name="category"' not in page

    response = client.post(f"/console/{case.number}/verify/", VERIFY_FORM)
    assert response.status_code == 409
    assert "Claim the case first." in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.NEW

    # the claim button on that page comes back to it
    claim = client.post(
        f"/console/{case.number}/claim/", {"next": f"/console/{case.number}/verify/"}
    )
    assert claim["Location"] == f"/console/{case.number}/verify/"
    external = client.post(f"/console/{case.number}/claim/", {"next": "https://example.com/"})
    assert external["Location"] == "/console/"


def test_verifying_someone_elses_claim_is_refused(operator, supervisor, otp_client) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), supervisor)
    response = otp_client(operator).post(f"/console/{case.number}/verify/", VERIFY_FORM)
    assert response.status_code == 409
    assert "Already claimed by joan" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.IN_TRIAGE


def test_a_supervisor_can_verify_for_the_holder(operator, supervisor, otp_client) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    response = otp_client(supervisor).post(f"/console/{case.number}/verify/", VERIFY_FORM)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.VERIFIED


# Discard -----------------------------------------------------------------------------------------


def test_discard_needs_a_reason_and_a_confirmation(operator, otp_client) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    client = otp_client(operator)
    url = f"/console/{case.number}/discard/"
    assert client.get(url).status_code == 200

    no_reason = client.post(url, {"note": "Made-up note"})
    assert no_reason.status_code == 400
    assert "Choose a reason" in no_reason.content.decode()

    confirm = client.post(url, {"reason": "prank", "note": "Made-up note"})
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert f"Discard {case.number}?" in html
    assert "Prank or joke" in html
    assert 'name="confirm" value="yes"' in html
    case.refresh_from_db()
    assert case.status == Case.Status.IN_TRIAGE  # nothing happens before "yes"

    done = client.post(url, {"reason": "prank", "note": "Made-up note", "confirm": "yes"})
    assert done.status_code == 302
    assert done["Location"] == "/console/"
    case.refresh_from_db()
    assert (case.status, case.discard_reason.code, case.discard_note) == (
        Case.Status.DISCARDED,
        "prank",
        "Made-up note",
    )
    assert case.history.first().history_change_reason == "Discarded: Prank or joke"


def test_a_retired_reason_is_refused(operator, otp_client) -> None:
    from cases.models import DiscardReason

    DiscardReason.objects.filter(code="test").update(is_active=False)
    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    response = otp_client(operator).post(
        f"/console/{case.number}/discard/", {"reason": "test", "confirm": "yes"}
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == Case.Status.IN_TRIAGE


# Who may -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["monitor", "cso_rep", "admin_user"])
def test_people_who_do_not_work_cases_are_refused_and_nothing_changes(
    who, request, operator, otp_client
) -> None:
    user = request.getfixturevalue(who)
    case = CaseFactory(helpline=operator.organisation)
    client = otp_client(user)

    for url in ("/console/", "/console/rows/", "/console/team/"):
        assert client.get(url).status_code == 403, url
    for action in ("verify", "discard"):
        assert client.get(f"/console/{case.number}/{action}/").status_code == 403
    for url, data in [
        (f"/console/{case.number}/claim/", {}),
        (f"/console/{case.number}/release/", {}),
        (f"/console/{case.number}/verify/", VERIFY_FORM),
        (f"/console/{case.number}/discard/", {"reason": "prank", "confirm": "yes"}),
        (f"/console/{case.number}/reinstate/", {"reason": "Made-up"}),
        (f"/console/{case.number}/reassign/", {"to": "amina"}),
        ("/console/next/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    case.refresh_from_db()
    assert (case.status, case.claimed_by) == (Case.Status.NEW, None)


def test_another_helplines_case_is_not_found(other_operator, operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation)
    client = otp_client(other_operator)
    assert client.post(f"/console/{case.number}/claim/").status_code == 404
    assert client.get(f"/console/{case.number}/verify/").status_code == 404
    assert client.post("/console/next/", follow=True).status_code == 200
    case.refresh_from_db()
    assert case.status == Case.Status.NEW


def test_the_header_offers_the_queue_to_those_who_work_cases(operator, monitor, otp_client) -> None:
    assert 'href="/console/">Queue</a>' in otp_client(operator).get("/cases/").content.decode()
    assert 'href="/console/"' not in otp_client(monitor).get("/cases/").content.decode()


# Supervisors -------------------------------------------------------------------------------------


def test_team_view_is_for_supervisors_only(operator, supervisor, otp_client, settings) -> None:
    settings.QUEUE_SLA_MINUTES = {"high": 5, "medium": 15, "standard": 60}
    helpline = operator.organisation
    held = claimed(CaseFactory(helpline=helpline, created_at=ago(minutes=90)), operator)
    late = CaseFactory(helpline=helpline, priority="high", created_at=ago(minutes=9))
    discarded = CaseFactory(helpline=helpline, status=Case.Status.DISCARDED)

    assert otp_client(operator).get("/console/team/").status_code == 403
    response = otp_client(supervisor).get("/console/team/")

    assert response.status_code == 200
    html = response.content.decode()
    assert held.number in html
    assert "amina" in html
    assert "Over the 60 min target" in html  # picked up after 90 minutes
    assert late.number in html
    assert "Overdue 4 min" in html
    assert f'href="/console/{discarded.number}/reinstate/"' in html
    assert f'href="/console/{held.number}/reassign/"' in html


def test_team_view_follows_the_helpline_live(supervisor, otp_client) -> None:
    html = otp_client(supervisor).get("/console/team/").content.decode()
    assert 'ws-connect="/ws/helpline/"' in html  # the socket only supervisors and operators get
    assert 'hx-get="/console/team/"' in html
    assert 'hx-select="#team-body"' in html
    assert "every 30s" in html  # a case turns overdue with no event to say so
    assert '<div id="team-body">' in html


def test_supervisor_reassigns_a_claimed_case(operator, supervisor, otp_client) -> None:
    colleague = StaffFactory(
        username="kofi", organisation=operator.organisation, role=User.Role.OPERATOR
    )
    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    client = otp_client(supervisor)
    page = client.get(f"/console/{case.number}/reassign/").content.decode()
    assert 'value="kofi"' in page
    assert 'value="amina"' not in page

    response = client.post(f"/console/{case.number}/reassign/", {"to": "kofi"})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.claimed_by == colleague
    assert (
        otp_client(operator).post(f"/console/{case.number}/reassign/", {"to": "amina"}).status_code
        == 403
    )


def test_supervisor_reinstates_a_discarded_case_with_a_reason(supervisor, otp_client) -> None:
    case = CaseFactory(helpline=supervisor.organisation, status=Case.Status.DISCARDED)
    client = otp_client(supervisor)
    url = f"/console/{case.number}/reinstate/"

    blank = client.post(url, {"reason": "  "})
    assert blank.status_code == 400
    case.refresh_from_db()
    assert case.status == Case.Status.DISCARDED

    assert client.post(url, {"reason": "Made-up: she called back"}).status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.NEW
    assert case.history.first().history_change_reason == "Reinstated: Made-up: she called back"


# Pages under the strict CSP ----------------------------------------------------------------------


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def test_console_pages_have_no_inline_script_or_style(operator, supervisor, otp_client) -> None:
    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    ReportFactory(case=case)
    discarded = CaseFactory(helpline=operator.organisation, status=Case.Status.DISCARDED)
    pages = [
        (operator, "/console/"),
        (operator, "/console/rows/"),
        (operator, f"/console/{case.number}/verify/"),
        (operator, f"/console/{case.number}/discard/"),
        (supervisor, "/console/team/"),
        (supervisor, f"/console/{case.number}/reassign/"),
        (supervisor, f"/console/{discarded.number}/reinstate/"),
    ]
    for user, url in pages:
        response = otp_client(user).get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert "style=" not in html, url
        assert "<style" not in html, url
        assert not INLINE_HANDLER.search(html), url
        assert "javascript:" not in html, url
        assert response["Cache-Control"].startswith("max-age=0"), url
