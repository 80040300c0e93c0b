"""The access matrix (issue 5, SECURITY AC-01/AC-03/AC-05): every role in every kind of
organisation, against a case in every state (and every referral outcome), for each way in: the case
page, the API read, a change through the API and the web, the printed case file, and the "Show" of
a masked phone (issue 12: those who may see who is in the case, read-only cases included).

The expected answers are written out here as rules, independently of cases.policy, so the test
catches the policy drifting from what DESIGN.md and the issue promise:
- a helpline's staff see and change their own helpline's cases, except archived ones (read-only);
- a CSO sees a case only while a referral to it is pending or accepted, and changes it only while
  accepted;
- monitors read every case (no identities), change none and print none;
- an archived case answers any change by someone who can see it with 409: read-only to everyone;
- an admin and any other organisation's staff: 404 for everything, never 403;
- a superuser is no case reader: 404 for everything, unless they also hold a case role, when they
  get exactly what that role gets (issue 11 item 2);
- role escalation through the admin (the last tests): an organisation's admin who tries to make
  themselves superuser, give themselves a case role, reach another organisation or reshape their
  own still reads no case.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import issue_api_token
from cases.models import AccessLog, Case, CaseNote
from referrals.models import Referral
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    PersonFactory,
    ReferralFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

S = Case.Status
R = Referral.Status
CANARY = "CANARY-MATRIX-VICTIM"


@dataclass(frozen=True)
class Scenario:
    """A case's state and what became of its referral to the CSO in the matrix (if any)."""

    status: str
    referral: str | None = None

    @property
    def name(self) -> str:
        return f"{self.status}+{self.referral}" if self.referral else self.status


SCENARIOS = [
    Scenario(S.NEW),
    Scenario(S.IN_TRIAGE),
    Scenario(S.DISCARDED),
    Scenario(S.VERIFIED),
    Scenario(S.VERIFIED, R.DECLINED),
    Scenario(S.VERIFIED, R.WITHDRAWN),
    Scenario(S.REFERRED, R.PENDING),
    Scenario(S.IN_SERVICE, R.ACCEPTED),
    Scenario(S.RESOLVED, R.COMPLETED),
    Scenario(S.CLOSED, R.COMPLETED),
    Scenario(S.ARCHIVED, R.COMPLETED),
    Scenario(S.MERGED),
]

ROLES = [
    "operator",
    "supervisor",
    "other_helpline_operator",
    "receiving_cso_rep",
    "other_cso_rep",
    "monitor",
    "admin",
    "superuser",
    "superuser_admin",
    "superuser_operator",
]
CHECKS = ("view", "api_read", "api_change", "web_change", "export", "reveal")


def expected(role: str, scenario: Scenario) -> dict[str, int]:
    """The promised answer of each check, as HTTP status codes."""
    archived = scenario.status in (S.ARCHIVED, S.MERGED)  # both read-only
    if role in ("operator", "supervisor", "superuser_operator"):
        change = 409 if archived else 201
        return {
            "view": 200,
            "api_read": 200,
            "api_change": change,
            "web_change": change,
            "export": 200,
            "reveal": 200,
        }
    if role == "receiving_cso_rep" and scenario.referral in (R.PENDING, R.ACCEPTED):
        change = 201 if scenario.referral == R.ACCEPTED else 403
        return {
            "view": 200,
            "api_read": 200,
            "api_change": change,
            "web_change": change,
            "export": 200,
            "reveal": 200,
        }
    if role == "monitor":
        change = 409 if archived else 403
        return {
            "view": 200,
            "api_read": 200,
            "api_change": change,
            "web_change": change,
            "export": 403,
            "reveal": 404,  # no identities: as if there were nothing to show
        }
    return dict.fromkeys(CHECKS, 404)


@pytest.fixture
def cast(helpline, other_helpline, cso, other_cso, monitor_org) -> dict[str, User]:
    return {
        "operator": StaffFactory(organisation=helpline, role="operator"),
        "supervisor": StaffFactory(organisation=helpline, role="supervisor"),
        "other_helpline_operator": StaffFactory(organisation=other_helpline, role="operator"),
        "receiving_cso_rep": StaffFactory(organisation=cso, role="cso_rep"),
        "other_cso_rep": StaffFactory(organisation=other_cso, role="cso_rep"),
        "monitor": StaffFactory(organisation=monitor_org, role="monitor"),
        "admin": StaffFactory(organisation=helpline, role="admin"),
        # as createsuperuser makes one: no organisation, no role
        "superuser": StaffFactory(organisation=None, role="admin", is_superuser=True),
        # a configuration admin who became superuser
        "superuser_admin": StaffFactory(organisation=helpline, role="admin", is_superuser=True),
        "superuser_operator": StaffFactory(
            organisation=helpline, role="operator", is_superuser=True
        ),
    }


def make_case(scenario: Scenario, helpline, cso, referrer: User) -> Case:
    case = CaseFactory(helpline=helpline, status=scenario.status)
    CasePersonFactory(case=case, person=PersonFactory(name=f"{CANARY} Person"))
    if scenario.referral:
        ReferralFactory(
            case=case,
            organisation=cso,
            status=scenario.referral,
            referred_by=referrer,
            referred_by_organisation=helpline,
        )
    return case


def web_client(user: User) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def web_note_status(client: Client, case: Case) -> int:
    """A note through the web form: a redirect back to the case counts as created (201)."""
    answer = client.post(f"/cases/{case.number}/notes/", {"text": "Matrix note"})
    return 201 if answer.status_code == 302 else answer.status_code


def check(user: User, case: Case) -> dict[str, int]:
    web = web_client(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    notes_before = CaseNote.objects.filter(case=case).count()
    answers = {
        "view": web.get(f"/cases/{case.number}/").status_code,
        "api_read": api.get(f"/api/v1/cases/{case.number}/").status_code,
        "api_change": api.post(
            f"/api/v1/cases/{case.number}/notes/", {"text": "Matrix note"}, format="json"
        ).status_code,
        "web_change": web_note_status(web, case),
    }
    printed = web.get(f"/cases/{case.number}/print/")
    answers["export"] = printed.status_code
    person = case.people.get().person
    answers["reveal"] = web.post(
        f"/cases/{case.number}/reveal/", {"person": person.pk, "field": "phone"}
    ).status_code
    if printed.status_code == 200:
        assert printed["Content-Type"] == "application/pdf"
        assert "no-store" in printed["Cache-Control"]
    written = CaseNote.objects.filter(case=case).count() - notes_before
    allowed_writes = sum(answers[c] == 201 for c in ("api_change", "web_change"))
    assert written == allowed_writes, "a refused change must store nothing"
    return answers


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(role, cast, helpline, cso) -> None:
    user = cast[role]
    mismatches = []
    for scenario in SCENARIOS:
        case = make_case(scenario, helpline, cso, cast["operator"])
        reads_before = AccessLog.objects.filter(case=case, user=user).count()
        answers = check(user, case)
        promised = expected(role, scenario)
        if answers != promised:
            mismatches.append((scenario.name, answers, promised))
        # every read that succeeded was audited: page, API, print (and the note's answer)
        audited = AccessLog.objects.filter(case=case, user=user).count() - reads_before
        successful_reads = sum(answers[c] == 200 for c in ("view", "api_read", "export"))
        assert audited >= successful_reads, scenario.name
        if answers["export"] == 200:
            assert AccessLog.objects.filter(case=case, user=user, action="print").exists()
        shown = AccessLog.objects.filter(case=case, user=user, action="reveal").count()
        assert shown == (answers["reveal"] == 200), scenario.name
    assert not mismatches, "\n".join(f"{n}: got {a}, promised {p}" for n, a, p in mismatches)


def test_the_matrix_covers_every_state_role_and_check() -> None:
    assert {s.status for s in SCENARIOS} == set(S.values)
    assert {s.referral for s in SCENARIOS} - {None} == set(R.values)
    # 10 roles x 12 scenarios x 6 checks
    assert len(ROLES) * len(SCENARIOS) * len(CHECKS) == 720


def merge_expected(role: str) -> dict[str, int]:
    """Duplicates, merge and unmerge (issue 12): the helpline's workers merge, its supervisors
    unmerge; a CSO serving both cases sees the duplicates but merges nothing; a monitor may not see
    who is in a case, so no duplicates (404), and changes nothing; everyone else: 404."""
    if role in ("operator", "supervisor", "superuser_operator"):
        unmerge = 200 if role == "supervisor" else 403
        return {"duplicates": 200, "merge": 200, "unmerge": unmerge}
    if role == "receiving_cso_rep":
        return {"duplicates": 200, "merge": 403, "unmerge": 403}
    if role == "monitor":
        return {"duplicates": 404, "merge": 403, "unmerge": 403}
    return dict.fromkeys(("duplicates", "merge", "unmerge"), 404)


@pytest.mark.parametrize("role", ROLES)
def test_duplicates_merge_and_unmerge_by_role(role, cast, helpline, cso) -> None:
    from cases.merging import merge_case

    scenario = Scenario(S.IN_SERVICE, R.ACCEPTED)
    a, b, merged = (make_case(scenario, helpline, cso, cast["operator"]) for _ in range(3))
    merge_case(case=merged, into=b, actor=cast["operator"], reason="Matrix merge")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=cast[role])}")
    base = "/api/v1/cases"
    answers = {
        "duplicates": api.get(f"{base}/{a.number}/duplicates/").status_code,
        "merge": api.post(
            f"{base}/{a.number}/merge/", {"into": b.number, "reason": "x"}, format="json"
        ).status_code,
        "unmerge": api.post(
            f"{base}/{merged.number}/unmerge/", {"reason": "x"}, format="json"
        ).status_code,
    }
    assert answers == merge_expected(role)
    merges = {"merge": a, "unmerge": merged}
    for check_name, case in merges.items():
        changed = Case.objects.get(pk=case.pk).status != (S.IN_SERVICE if case is a else S.MERGED)
        assert changed == (answers[check_name] == 200), check_name


RISK_SCENARIOS = [
    Scenario(S.NEW),
    Scenario(S.DISCARDED),
    Scenario(S.REFERRED, R.PENDING),
    Scenario(S.IN_SERVICE, R.ACCEPTED),
    Scenario(S.CLOSED, R.COMPLETED),
    Scenario(S.ARCHIVED, R.COMPLETED),
    Scenario(S.MERGED),
]


def risk_expected(role: str, scenario: Scenario) -> dict[str, int]:
    """Risk assessments (issue 12): read by whoever sees the case (monitors: levels only);
    completed by the helpline's workers and a CSO serving the case; a discarded case takes none
    (403), a read-only one answers 409; everyone else: 404."""
    read_only = scenario.status in (S.ARCHIVED, S.MERGED)
    expected_by_role = expected(role, scenario)
    if expected_by_role["view"] == 404:
        return {"risk_read": 404, "risk_assess": 404}
    if read_only:
        assess = 409
    elif role in ("operator", "supervisor", "superuser_operator"):
        assess = 403 if scenario.status == S.DISCARDED else 201
    elif role == "receiving_cso_rep" and scenario.referral == R.ACCEPTED:
        assess = 201
    else:
        assess = 403
    return {"risk_read": 200, "risk_assess": assess}


@pytest.mark.parametrize("role", ROLES)
def test_risk_assessment_by_role(role, cast, helpline, cso) -> None:
    from risk.models import Assessment, Questionnaire

    questions = Questionnaire.objects.get(is_active=True).questions.filter(is_active=True)
    answers = {str(q.pk): "no" for q in questions}
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=cast[role])}")
    mismatches = []
    for scenario in RISK_SCENARIOS:
        case = make_case(scenario, helpline, cso, cast["operator"])
        url = f"/api/v1/cases/{case.number}/risk/"
        got = {
            "risk_read": api.get(url).status_code,
            "risk_assess": api.post(url, {"answers": answers}, format="json").status_code,
        }
        if got != risk_expected(role, scenario):
            mismatches.append((scenario.name, got, risk_expected(role, scenario)))
        stored = Assessment.objects.filter(case=case).count()
        assert stored == (got["risk_assess"] == 201), scenario.name
    assert not mismatches, "\n".join(f"{n}: got {a}, promised {p}" for n, a, p in mismatches)


def test_monitors_and_other_organisations_never_see_identities_or_internal_notes(
    cast, helpline, cso, other_cso
) -> None:
    """Field level (AC-03): what a permitted reader gets still depends on who they are."""
    case = make_case(Scenario(S.IN_SERVICE, R.ACCEPTED), helpline, cso, cast["operator"])
    ReferralFactory(
        case=case,
        organisation=other_cso,
        status=R.ACCEPTED,
        referred_by=cast["operator"],
        referred_by_organisation=helpline,
    )
    CaseNote.objects.create(
        case=case, organisation=helpline, author=cast["operator"], text="CANARY-HELPLINE-NOTE"
    )
    CaseNote.objects.create(
        case=case, organisation=other_cso, author=None, text="CANARY-OTHER-CSO-NOTE"
    )
    shared = "CANARY-SHARED-REMARK"
    CaseNote.objects.create(case=case, organisation=helpline, shared=True, text=shared)

    monitor_page = web_client(cast["monitor"]).get(f"/cases/{case.number}/").content.decode()
    assert CANARY not in monitor_page
    assert "CANARY-" not in monitor_page

    cso_page = web_client(cast["receiving_cso_rep"]).get(f"/cases/{case.number}/").content.decode()
    assert CANARY in cso_page
    assert shared in cso_page
    assert "CANARY-HELPLINE-NOTE" not in cso_page
    assert "CANARY-OTHER-CSO-NOTE" not in cso_page

    helpline_page = web_client(cast["operator"]).get(f"/cases/{case.number}/").content.decode()
    assert "CANARY-HELPLINE-NOTE" in helpline_page
    assert "CANARY-OTHER-CSO-NOTE" not in helpline_page


def test_a_referral_ending_ends_access_at_once(cast, helpline, cso) -> None:
    case = make_case(Scenario(S.REFERRED, R.PENDING), helpline, cso, cast["operator"])
    client = web_client(cast["receiving_cso_rep"])
    assert client.get(f"/cases/{case.number}/").status_code == 200
    Referral.objects.filter(case=case).update(status=R.WITHDRAWN)
    assert client.get(f"/cases/{case.number}/").status_code == 404


def test_an_organisation_that_is_switched_off_sees_nothing(cast, helpline, cso) -> None:
    case = make_case(Scenario(S.IN_SERVICE, R.ACCEPTED), helpline, cso, cast["operator"])
    cso.is_active = False
    cso.save()
    assert web_client(cast["receiving_cso_rep"]).get(f"/cases/{case.number}/").status_code == 404


# Role escalation through the admin (issue 11 item 2) ----------------------------------------------
# Each row is what an organisation's admin tries in the admin: (name, url, posted data), with the
# ids filled in from the cast. Whatever the answer, they must end as they began: no superuser, no
# admin flags, groups or permissions of their own beyond the admin role, in their own organisation,
# and no case readable through the page, the API or the printed file.


def _user_form(user: User, **changes: object) -> dict[str, object]:
    data = {
        "username": user.username,
        "email": user.email,
        "phone": "",
        "role": user.role,
        "organisation": user.organisation_id or "",
        "is_active": "on",
        # what Django's stock user form also wanted, so a row fails for its own reason only
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
    }
    return {**data, **changes}


ESCALATIONS = {
    "make themselves superuser": lambda c: (
        f"/admin/accounts/user/{c['admin'].pk}/change/",
        _user_form(c["admin"], is_superuser="on", is_staff="on"),
    ),
    "give themselves the supervisor role": lambda c: (
        f"/admin/accounts/user/{c['admin'].pk}/change/",
        _user_form(c["admin"], role="supervisor"),
    ),
    "put themselves in a group with case permissions": lambda c: (
        f"/admin/accounts/user/{c['admin'].pk}/change/",
        _user_form(c["admin"], groups=[Group.objects.get(name="supervisor").pk]),
    ),
    "grant themselves a permission": lambda c: (
        f"/admin/accounts/user/{c['admin'].pk}/change/",
        _user_form(
            c["admin"], user_permissions=[Permission.objects.get(codename="view_identities").pk]
        ),
    ),
    "move themselves to a monitoring body": lambda c: (
        f"/admin/accounts/user/{c['admin'].pk}/change/",
        _user_form(c["admin"], organisation=c["monitor"].organisation_id),
    ),
    "turn their helpline into a monitoring body": lambda c: (
        f"/admin/accounts/organisation/{c['admin'].organisation_id}/change/",
        {"name": "North Helpline", "kind": "monitor", "slug": "north-helpline"},
    ),
    "add a monitoring body": lambda c: (
        "/admin/accounts/organisation/add/",
        {"name": "Mine", "slug": "mine", "kind": "monitor"},
    ),
    "edit another helpline's operator": lambda c: (
        f"/admin/accounts/user/{c['other_helpline_operator'].pk}/change/",
        _user_form(c["other_helpline_operator"], role="admin"),
    ),
    "edit the superuser": lambda c: (
        f"/admin/accounts/user/{c['superuser'].pk}/change/",
        _user_form(c["superuser"], is_active=""),
    ),
    "add a CSO representative to their helpline": lambda c: (
        "/admin/accounts/user/add/",
        {
            "username": "sneaky",
            "password1": "a made-up passphrase 2",
            "password2": "a made-up passphrase 2",
            "role": "cso_rep",
            "organisation": c["receiving_cso_rep"].organisation_id,
        },
    ),
    "edit the operator group": lambda c: (
        f"/admin/auth/group/{Group.objects.get(name='operator').pk}/change/",
        {"name": "operator", "permissions": [p.pk for p in Permission.objects.all()]},
    ),
}


@pytest.mark.parametrize("attempt", list(ESCALATIONS))
def test_an_admin_cannot_escalate_through_the_admin(attempt, cast, helpline, cso) -> None:
    case = make_case(Scenario(S.IN_SERVICE, R.ACCEPTED), helpline, cso, cast["operator"])
    admin_user, superuser = cast["admin"], cast["superuser"]
    other = cast["other_helpline_operator"]
    operator_group_before = set(Group.objects.get(name="operator").permissions.all())
    client = web_client(admin_user)
    url, data = ESCALATIONS[attempt](cast)

    client.post(url, data)

    admin_user.refresh_from_db()
    other.refresh_from_db()
    superuser.refresh_from_db()
    assert not admin_user.is_superuser
    assert (admin_user.role, admin_user.organisation_id) == ("admin", helpline.pk)
    assert list(admin_user.groups.values_list("name", flat=True)) == ["admin"]
    assert not admin_user.user_permissions.exists()
    helpline.refresh_from_db()
    assert helpline.kind == "helpline"
    assert (other.role, superuser.is_active) == ("operator", True)
    assert not User.objects.filter(username="sneaky", role="cso_rep").exists()
    assert set(Group.objects.get(name="operator").permissions.all()) == operator_group_before
    # and still no case: a fresh sign-in, the API and the printed file
    assert check(User.objects.get(pk=admin_user.pk), case) == dict.fromkeys(CHECKS, 404)
    assert CANARY not in web_client(admin_user).get(f"/cases/{case.number}/").content.decode()
