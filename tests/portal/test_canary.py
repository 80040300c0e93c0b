"""A victim never sees internal notes or other people (issue 14; SECURITY AC-03, AC-07): a case full
of canaries, and every portal page a signed-in victim can open, with the thread and timeline full
too. None of the canaries appears in any of them. The words the victim may see (a shared
organisation, an appointment's kind, a staff reply, an update) are checked present, so the pages
were not simply empty."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from django.utils import timezone

from cases.models import Case, CaseNote, CasePerson, FollowUpKind, Report, RiskLevel
from cases.models.teams import Team
from portal.messages import reply_in_portal
from portal.models import PortalAccess, PortalUpdate, UpdateType
from referrals.models import FollowUp
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    PersonFactory,
    ReferralFactory,
    ReportFactory,
    StaffFactory,
)
from tests.portal.conftest import PREFERENCES

pytestmark = pytest.mark.django_db

CANARIES = {
    "internal note": "Canary internal note about the victim",
    "shared note": "Canary shared note between organisations",
    "perpetrator name": "Canary Perpetratorname",
    "perpetrator phone": "+447700900777",
    "other victim name": "Canary Othervictim",
    "other victim phone": "+447700900888",
    "other victim report": "Canary words of another victim's report",
    "other victim reply": "Canary reply to another victim",
    "other victim update": "Canary update for another victim",
    "staff first name": "Canaryfirst",
    "staff last name": "Canarylast",
    "staff username": "canary.staffer",
    "team": "Canary Night Team",
    "unshared organisation": "Canary Unshared Refuge",
    "follow-up notes": "Canary follow-up notes",
    "internal follow-up kind": "Safety-plan review",
    "report words": "Made-up report for the portal tests.",
    "risk level": RiskLevel.HIGH.label,
    "risk word": "risk",
    "raw status": "in_service",
}
# What the victim may see (kept out of CANARIES on purpose, and checked present).
SHOWN = {
    "shared organisation": "Shown Support Service",
    "appointment": "Appointment",
    "reply": "Shown reply from the team",
    "update": "Shown update title",
    "own message": "Shown message the victim wrote",
}


@pytest.fixture
def canary_case(portal_case: Case, portal_access, helpline, operator) -> Case:
    # the people working it, and their names
    staffer = StaffFactory(
        username=CANARIES["staff username"],
        first_name=CANARIES["staff first name"],
        last_name=CANARIES["staff last name"],
        organisation=helpline,
    )
    team = Team.objects.create(helpline=helpline, name=CANARIES["team"])
    Case.objects.filter(pk=portal_case.pk).update(
        status=Case.Status.IN_SERVICE, risk_level=RiskLevel.HIGH, claimed_by=staffer, team=team
    )
    portal_case.refresh_from_db()
    # notes, internal and shared
    CaseNote.objects.create(
        case=portal_case, organisation=helpline, author=staffer, text=CANARIES["internal note"]
    )
    CaseNote.objects.create(
        case=portal_case,
        organisation=helpline,
        author=staffer,
        text=CANARIES["shared note"],
        shared=True,
    )
    # the perpetrator
    CasePersonFactory(
        case=portal_case,
        role=CasePerson.Role.PERPETRATOR,
        person=PersonFactory(
            name=CANARIES["perpetrator name"], phone=CANARIES["perpetrator phone"]
        ),
    )
    # referrals: one shown, one not
    shown_org = OrganisationFactory(name=SHOWN["shared organisation"], kind="cso")
    hidden_org = OrganisationFactory(name=CANARIES["unshared organisation"], kind="cso")
    ReferralFactory(case=portal_case, organisation=shown_org, shared_with_victim=True)
    ReferralFactory(case=portal_case, organisation=hidden_org, assignee=None)
    # follow-ups: one meant for them (with staff-only notes), one internal
    soon = timezone.now() + timedelta(days=1)
    FollowUp.objects.create(
        case=portal_case,
        organisation=helpline,
        kind=FollowUpKind.objects.get(code="appointment"),
        due_at=soon,
        assignee=staffer,
        for_victim=True,
        notes=CANARIES["follow-up notes"],
    )
    FollowUp.objects.create(
        case=portal_case,
        organisation=helpline,
        kind=FollowUpKind.objects.get(code="safety-plan-review"),
        due_at=soon,
        assignee=staffer,
    )
    # their timeline and thread
    kind = UpdateType.objects.create(code="canary-update", name="Canary", trigger="staff")
    PortalUpdate.objects.create(
        case=portal_case, update_type=kind, title=SHOWN["update"], sent_by=staffer
    )
    reply_in_portal(case=portal_case, actor=staffer, text=SHOWN["reply"])
    Report.objects.create(
        case=portal_case,
        channel="portal",
        source_id=f"{portal_access.pk}:canary",
        body=SHOWN["own message"],
    )
    # another victim, on another case, with a portal of their own
    other = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, claimed_by=operator)
    ReportFactory(
        case=other, sender=CANARIES["other victim phone"], body=CANARIES["other victim report"]
    )
    CasePersonFactory(
        case=other,
        person=PersonFactory(
            name=CANARIES["other victim name"],
            phone=CANARIES["other victim phone"],
            contact_preferences=dict(PREFERENCES),
        ),
    )
    PortalAccess.objects.create(case=other)
    reply_in_portal(case=other, actor=operator, text=CANARIES["other victim reply"])
    PortalUpdate.objects.create(case=other, update_type=kind, title=CANARIES["other victim update"])
    return portal_case


def _portal_pages() -> list[str]:
    """Every portal address a signed-in victim can GET, bar the quick exit (which signs out)."""
    names = []
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "portal":
            names += [f"portal:{p.name}" for p in entry.url_patterns if isinstance(p, URLPattern)]
    urls = []
    for name in names:
        if name in ("portal:leave", "portal:sign-out"):
            continue
        try:
            urls.append(reverse(name))
        except NoReverseMatch:  # a page that needs an argument is no page of a signed-in victim
            continue
    return urls


def test_no_canary_on_any_portal_page(victim_client, canary_case) -> None:
    # given
    pages = _portal_pages()
    assert {"/portal/", "/portal/messages/"} <= set(pages)

    # when
    seen = {}
    for url in pages:
        response = victim_client.get(url, follow=True)
        assert response.status_code in (200, 405), url
        seen[url] = response.content.decode()

    # then
    for url, html in seen.items():
        lowered = html.casefold()
        for what, canary in CANARIES.items():
            assert canary.casefold() not in lowered, f"{what} on {url}"
    everything = " ".join(seen.values())
    for what, words in SHOWN.items():
        assert words in everything, f"{what} missing"


def test_the_victims_own_pages_never_name_the_case_in_the_address(victim_client) -> None:
    for url in _portal_pages():
        assert url.startswith("/portal/")
        assert "LNT-" not in url
