"""Restricted processing (DP-09): who sees a restricted person's details, and what the pages that
people.views renders for them show (the wiring there is requested from the lead)."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from cases.models import CasePerson
from people.selectors import PersonRecord
from tests.factories import CasePersonFactory, PersonFactory
from tests.privacy.canary import canary

pytestmark = pytest.mark.django_db


def _render(template: str, user, person) -> str:
    request = RequestFactory().get(f"/people/{person.pk}/")
    user.is_verified = lambda: True  # as django-otp's middleware marks a verified sign-in
    request.user = user
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    links = list(CasePerson.objects.filter(person=person).select_related("case"))
    record = PersonRecord(person=person, cases=links, contacts=[], references=[])
    return render_to_string(template, {"person": person, "record": record}, request=request)


def test_the_restricted_page_names_nobody(helpline, operator):
    # given
    person = PersonFactory(name=canary("restricted"), processing_restricted=True)
    link = CasePersonFactory(person=person, case__helpline=helpline)

    # when
    page = _render("privacy/erasure/person_restricted.html", operator, person)

    # then
    assert "CANARY" not in page
    assert "Restricted." in page
    assert link.case.number in page


@pytest.mark.parametrize(
    ("state", "officer", "says"),
    [
        ({}, True, "Ask for this person's erasure"),
        ({}, False, ""),
        ({"processing_restricted": True}, True, "Restricted processing."),
        ({"erased": True}, False, "Erased"),
    ],
)
def test_the_person_page_status(state, officer, says, request, helpline):
    # given
    person = PersonFactory(
        processing_restricted=state.get("processing_restricted", False),
        erased_at=timezone.now() if state.get("erased") else None,
    )
    user = request.getfixturevalue("dpo" if officer else "operator")

    # when
    html = _render("privacy/erasure/_person_status.html", user, person).strip()

    # then
    assert (says in html) if says else html == "", html
