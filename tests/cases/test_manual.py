"""The "New case" page (/cases/new/): an operator opens a walk-in case with someone else reporting,
claims it at once, and a double submit of the same page opens one case."""

from __future__ import annotations

import re

import pytest

from cases.manual import NewVictim, StaffReport, open_staff_case
from cases.models import Case, CasePerson, Report
from cases.workflow import CaseError, NotAllowedError

pytestmark = pytest.mark.django_db

S = Case.Status


def _token(page: str) -> str:
    return re.search(r'name="token" value="([0-9a-f-]+)"', page).group(1)


def _form(token: str, **extra: str) -> dict[str, str]:
    return {
        "token": token,
        "channel": "walk_in",
        "incident_description": "A made-up account given at the desk",
        "victim_name": "Testvictim Deskvisit",
        "victim_phone": "07700 900481",
        "victim_date_of_birth": "1988-09-10",
        "victim_language": "pl",
        "contact": "only_if_i_contact_first",
        "someone_else": "on",
        "reporter_name": "Testreporter Teacher",
        "reporter_phone": "07700 900482",
        "reporter_relationship": "professional",
        "claim": "on",
        **extra,
    }


def test_page_offers_only_staff_channels_claim_checked_and_a_draft_key(operator, otp_client):
    response = otp_client(operator).get("/cases/new/")
    assert response.status_code == 200
    page = response.content.decode()
    channels = set(re.findall(r'name="channel" value="([a-z_]+)"', page))
    assert channels == {"walk_in", "phone", "partner", "email", "other"}
    assert re.search(r'name="claim"[^>]*checked', page)
    assert 'data-draft="new-case"' in page


def test_walk_in_with_a_reporter_opens_a_claimed_case(operator, otp_client):
    client = otp_client(operator)
    token = _token(client.get("/cases/new/").content.decode())
    response = client.post("/cases/new/", _form(token))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.number}/"
    assert (case.channel, case.status, case.claimed_by) == (
        Case.Channel.WALK_IN,
        S.IN_TRIAGE,
        operator,
    )
    victim = case.people.get(role=CasePerson.Role.VICTIM).person
    assert victim.phone == "+447700900481"
    assert victim.date_of_birth == "1988-09-10"
    assert victim.language.code == "pl"
    assert victim.contact_preferences["contact"] == "only_if_i_contact_first"
    reporter = case.people.get(role=CasePerson.Role.REPORTER)
    assert reporter.person.name == "Testreporter Teacher"
    assert reporter.relationship.code == "professional"
    assert case.reports.get().sender == ""  # a reporter's phone never joins texts to the case
    page = client.get(response["Location"]).content.decode()
    assert "Testreporter Teacher" in page
    assert "Reporter</strong> (A professional" in page


def test_double_submit_opens_one_case(operator, otp_client):
    client = otp_client(operator)
    token = _token(client.get("/cases/new/").content.decode())
    first = client.post("/cases/new/", _form(token))
    second = client.post("/cases/new/", _form(token))
    assert Case.objects.count() == 1
    assert Report.objects.count() == 1
    assert second.status_code == 302
    assert second["Location"] == first["Location"]


def test_unchecked_claim_leaves_it_new_in_the_queue(operator, otp_client):
    client = otp_client(operator)
    token = _token(client.get("/cases/new/").content.decode())
    form = _form(token)
    del form["claim"], form["someone_else"]
    client.post("/cases/new/", form)
    case = Case.objects.get()
    assert (case.status, case.claimed_by) == (S.NEW, None)
    assert not case.people.filter(role=CasePerson.Role.REPORTER).exists()
    assert case.reports.get().sender == "+447700900481"  # the victim reported themselves


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channel": "sms"}, "Select a valid choice"),
        ({"incident_description": ""}, "Say what happened"),
        ({"reporter_name": "", "reporter_phone": ""}, "Give the reporter&#x27;s name or phone"),
        ({"victim_phone": "12"}, "Enter a phone number"),
        ({"contact": "allowed"}, "Choose the ways that are safe"),
        ({"victim_date_of_birth": "2999-01-01"}, "today or in the past"),
    ],
)
def test_bad_input_shows_what_to_fix_and_stores_nothing(operator, otp_client, change, message):
    client = otp_client(operator)
    token = _token(client.get("/cases/new/").content.decode())
    response = client.post("/cases/new/", _form(token, **change))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Case.objects.count() == 0


@pytest.mark.parametrize("who", ["cso_rep", "monitor", "admin_user"])
def test_only_helpline_workers_reach_the_page(request, otp_client, who):
    client = otp_client(request.getfixturevalue(who))
    assert client.get("/cases/new/").status_code == 403
    assert (
        client.post("/cases/new/", _form("4b2d4a7e-0000-4000-8000-000000000000")).status_code == 403
    )
    assert Case.objects.count() == 0


def test_case_list_and_console_offer_new_case_to_workers_only(operator, monitor, otp_client):
    assert 'href="/cases/new/"' in otp_client(operator).get("/cases/").content.decode()
    assert 'href="/cases/new/"' in otp_client(operator).get("/console/").content.decode()
    assert 'href="/cases/new/"' not in otp_client(monitor).get("/cases/").content.decode()


def test_service_refuses_others_and_a_reused_token(operator, other_operator, cso_rep):
    report = StaffReport(channel="walk_in", description="Made-up", victim=NewVictim(name="X"))
    with pytest.raises(NotAllowedError):
        open_staff_case(actor=cso_rep, report=report)
    with pytest.raises(CaseError, match="channel"):
        open_staff_case(actor=operator, report=StaffReport(channel="web", description="x"))
    case, created = open_staff_case(actor=operator, report=report)
    assert created
    again, created = open_staff_case(actor=operator, report=report)
    assert (again, created) == (case, False)
    # someone else holding the same token gets nothing of the case
    with pytest.raises(CaseError, match="already used"):
        open_staff_case(actor=other_operator, report=report)


def test_verify_page_says_someone_else_reported(operator, otp_client):
    client = otp_client(operator)
    token = _token(client.get("/cases/new/").content.decode())
    client.post("/cases/new/", _form(token))
    case = Case.objects.get()
    page = client.get(f"/console/{case.number}/verify/").content.decode()
    assert "Reported by" in page
    assert "Testreporter Teacher" in page
    assert "+447700900482" not in page  # masked until shown
    # the victim's details given at the desk are there to check, not asked again
    assert "Testvictim Deskvisit" in page


@pytest.mark.django_db(transaction=True)
def test_the_same_submission_at_once_opens_one_case(operator) -> None:
    """Two sends of one page racing (a double click on a slow line): one case, one report, one
    victim and one reporter, on SQLite and PostgreSQL alike."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from cases.manual import NewReporter
    from cases.models import Person

    report = StaffReport(
        channel="walk_in",
        description="Made-up",
        victim=NewVictim(name="Testvictim Race"),
        reporter=NewReporter(name="Testreporter Race"),
        claim=True,
    )
    barrier = threading.Barrier(4)

    def send(_: int) -> str:
        barrier.wait()
        try:
            return open_staff_case(actor=operator, report=report)[0].number
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        numbers = set(pool.map(send, range(4)))
    assert len(numbers) == 1
    assert (Case.objects.count(), Report.objects.count(), Person.objects.count()) == (1, 1, 2)
    case = Case.objects.get()
    assert (case.status, case.claimed_by) == (S.IN_TRIAGE, operator)
