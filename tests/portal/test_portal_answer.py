"""The "portal" answer (issue 14 item 1): "Let me follow my report online" is asked on the public
form, the operator's verify and new-case forms, the change form and the API, stored with the other
safe-contact answers, is no unless someone said yes, and shows in the safe-contact box. All names,
numbers and addresses are made up."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases.change_forms import ChangeForm, _raw, initial_for
from cases.contact import contact_lines, preferences
from cases.models import Case, CasePerson
from cases.policy import changeable_details
from intake.forms import new_submission_id
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    PersonFactory,
    category,
)
from triage.services import claim_case

pytestmark = pytest.mark.django_db

HINT = (
    "We send a code to a safe way of contact each time you sign in. Nothing is sent unless you "
    "say yes."
)


def _victim_prefs(case: Case) -> dict:
    return CasePerson.objects.get(case=case, role="victim").person.contact_preferences


# The public form -----------------------------------------------------------------------------


@pytest.fixture
def public(settings) -> None:
    OrganisationFactory(kind="helpline", slug="north-helpline", name="North Helpline")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"portal-answer-{uuid.uuid4()}",
        }
    }


def _report(client, **answers) -> Case:
    data = {
        "submission_id": new_submission_id(),
        "what_happened": "Made-up report for the portal answer tests.",
        **answers,
    }
    answer = client.post("/report/", data)
    assert answer.status_code == 303, answer.content.decode()[:500]
    return Case.objects.get()


def test_the_public_form_asks_after_updates_with_its_hint_and_nothing_ticked(client, public):
    html = client.get("/report/").content.decode()
    assert "Let me follow my report online" in html
    assert HINT in html
    assert html.index('name="updates"') < html.index('name="portal"') < html.index('name="name"')
    box = html[html.index('name="portal"') - 200 : html.index('name="portal"') + 200]
    assert "checked" not in box
    # the hint is tied to the box, for screen readers
    assert 'aria-describedby="id_portal_helptext"' in html
    assert 'id="id_portal_helptext"' in html


def test_a_victim_who_says_yes_is_stored_as_yes(client, public):
    case = _report(
        client,
        contact="allowed",
        channels=["email"],
        email="made-up.reporter@example.org",
        portal="on",
    )
    assert _victim_prefs(case)["portal"] is True


def test_a_victim_who_says_nothing_is_stored_as_no(client, public):
    case = _report(client, contact="allowed", channels=["email"], email="a@example.org")
    assert _victim_prefs(case)["portal"] is False


def test_yes_is_kept_beside_do_not_contact_so_the_gate_can_say_why_nothing_goes(client, public):
    # the access opens; every message to them is then kept as not sent, with the reason
    case = _report(client, contact="none", portal="on")
    prefs = _victim_prefs(case)
    assert (prefs["contact"], prefs["portal"], prefs["channels"]) == ("none", True, [])


def test_any_truthy_junk_is_a_yes_and_only_a_yes():
    # a posted value the browser never sends is no reason for an error: a checkbox is on or off
    assert preferences({"portal": "on"}, "allowed")["portal"] is True
    assert preferences({"portal": ""}, "allowed")["portal"] is False
    assert preferences({}, "none")["portal"] is False


# The safe-contact box ------------------------------------------------------------------------


def test_the_box_says_whether_they_follow_their_report_online():
    said_yes = {line.label: line.words for line in contact_lines({"portal": True})}
    said_nothing = {line.label: line.words for line in contact_lines({})}
    assert said_yes["Portal"] == "Wants to follow their report online"
    assert said_nothing["Portal"] == "Not using the portal"


def test_the_case_page_box_shows_the_portal_line(helpline, operator, otp_client):
    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, claimed_by=operator)
    CasePersonFactory(
        case=case,
        person=PersonFactory(
            name="Testperson Box",
            contact_preferences={"contact": "allowed", "channels": ["sms"], "portal": True},
        ),
    )
    html = otp_client(operator).get(f"/cases/{case.number}/").content.decode()
    assert '<dt class="col-sm-4">Portal</dt>' in html
    assert "Wants to follow their report online" in html


# The operator's verify form ------------------------------------------------------------------

VERIFY = {
    "category": "coercive-control",
    "priority": "high",
    "victim_name": "Testperson Verified",
    "victim_phone": "07700 900456",
    "contact": "allowed",
    "channels": ["sms"],
    "perp-TOTAL_FORMS": "0",
    "perp-INITIAL_FORMS": "0",
    "perp-MIN_NUM_FORMS": "0",
    "perp-MAX_NUM_FORMS": "20",
}


def test_the_verify_form_asks_and_stores_the_answer(helpline, operator, otp_client):
    case = claim_case(case=CaseFactory(helpline=helpline), actor=operator)
    client = otp_client(operator)
    page = client.get(f"/console/{case.number}/verify/").content.decode()
    assert 'name="portal"' in page
    assert "They want to follow their report online" in page
    answer = client.post(f"/console/{case.number}/verify/", {**VERIFY, "portal": "on"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert _victim_prefs(case)["portal"] is True


def test_the_verify_form_shows_what_the_web_report_said(helpline, operator, otp_client):
    case = claim_case(case=CaseFactory(helpline=helpline), actor=operator)
    CasePersonFactory(
        case=case,
        person=PersonFactory(contact_preferences={"contact": "allowed", "portal": True}),
    )
    page = otp_client(operator).get(f"/console/{case.number}/verify/").content.decode()
    box = page[page.index('name="portal"') - 10 : page.index('name="portal"') + 120]
    assert "checked" in box


def test_an_unticked_box_at_verification_is_a_no(helpline, operator, otp_client):
    case = claim_case(case=CaseFactory(helpline=helpline), actor=operator)
    answer = otp_client(operator).post(f"/console/{case.number}/verify/", VERIFY)
    assert answer.status_code == 302
    assert _victim_prefs(case)["portal"] is False


# The change form and the API -----------------------------------------------------------------


@pytest.fixture
def changeable(helpline) -> Case:
    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, category=category())
    CasePersonFactory(
        case=case,
        person=PersonFactory(
            name="Testperson Changed",
            phone="+447700900457",
            contact_preferences=preferences({"channels": ["sms"]}, "allowed"),
        ),
    )
    return case


def _page_data(case: Case, user, **typed) -> dict[str, list[str]]:
    case = Case.objects.get(pk=case.pk)
    form = ChangeForm(case=case, parts=changeable_details(user, case), initial=initial_for(case))
    data = {}
    for name in form.fields:
        data[name] = _raw(form[name].value())
        data[form.add_initial_prefix(name)] = _raw(form[name].value())
    return data | {name: _raw(value) for name, value in typed.items()}


def test_the_change_form_turns_the_answer_on_and_off(changeable, operator, otp_client):
    client = otp_client(operator)
    assert 'name="portal"' in client.get(f"/cases/{changeable.number}/change/").content.decode()
    url = f"/cases/{changeable.number}/change/"
    on = client.post(url, _page_data(changeable, operator, portal=True, reason="Rang back"))
    assert on.status_code == 302, on.content.decode()[:2000]
    assert _victim_prefs(changeable)["portal"] is True
    assert _victim_prefs(changeable)["channels"] == ["sms"]  # the rest kept as it was
    off = client.post(url, _page_data(changeable, operator, portal=False, reason="Changed mind"))
    assert off.status_code == 302
    assert _victim_prefs(changeable)["portal"] is False


def _api(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return api


def test_the_api_takes_the_answer(changeable, operator):
    body = {
        "version": 1,
        "reason": "Asked on the phone",
        "victim": {"contact": {"contact": "allowed", "channels": ["sms"], "portal": True}},
    }
    answer = _api(operator).patch(f"/api/v1/cases/{changeable.number}/", body, format="json")
    assert answer.status_code == 200, answer.json()
    assert _victim_prefs(changeable)["portal"] is True


def test_the_api_refuses_an_answer_that_is_not_a_yes_or_no(changeable, operator):
    body = {
        "version": 1,
        "reason": "Asked on the phone",
        "victim": {"contact": {"contact": "allowed", "channels": ["sms"], "portal": "perhaps"}},
    }
    answer = _api(operator).patch(f"/api/v1/cases/{changeable.number}/", body, format="json")
    assert answer.status_code == 400
    assert _victim_prefs(changeable)["portal"] is False


def test_the_api_without_the_answer_stores_no(changeable, operator):
    # the answers are sent whole, as on the form: one left out is a no, not "as before"
    person = CasePerson.objects.get(case=changeable, role="victim").person
    person.contact_preferences = {**person.contact_preferences, "portal": True}
    person.save()
    body = {
        "version": 1,
        "reason": "Asked on the phone",
        "victim": {"contact": {"contact": "allowed", "channels": ["sms"]}},
    }
    answer = _api(operator).patch(f"/api/v1/cases/{changeable.number}/", body, format="json")
    assert answer.status_code == 200
    assert _victim_prefs(changeable)["portal"] is False
