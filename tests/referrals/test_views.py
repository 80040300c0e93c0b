"""Casework through the web pages, as the cast uses them: the operator refers (with consent, or a
supervisor without), the CSO representative answers on /casework/, logs a quick service in three
requests, sets a follow-up and resolves; the operator closes, sends back and reopens. Need to know,
monitors, archived cases and bad input are checked on the same pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cases.models import AccessLog, Case, CaseNote, ServiceType
from cases.services import add_note, close_case, move_case
from referrals.models import FollowUp, Referral, ServiceRecord
from referrals.services import (
    ReferralRequest,
    ServiceEntry,
    accept_referral,
    log_service,
    refer_case,
    resolve_case,
)
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory, category

pytestmark = pytest.mark.django_db

S = Case.Status
INTERNAL_CANARY = "CANARY-HELPLINE-INTERNAL-9W"
SAFE_TIMES = "Weekdays 10 to 2"
# A form that changes something (showing a masked detail is a read: audited, allowed on any case)
ACTION_FORM = re.compile(
    r'<form method="post" action="/(cases|referrals|follow-ups)/(?![^"]*reveal/)'
)


def now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def html_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def case(helpline) -> Case:
    case = CaseFactory(
        helpline=helpline, status=S.VERIFIED, priority="high", category=category("physical")
    )
    victim = PersonFactory(
        name="Testperson Victim",
        contact_preferences={"contact": "allowed", "channels": ["sms"], "safe_times": SAFE_TIMES},
    )
    CasePersonFactory(case=case, person=victim)
    ReportFactory(case=case, body="Made-up first message")
    return case


def referred(case: Case, to, by, **kwargs) -> Referral:
    request = ReferralRequest(organisation=to, reason="Needs counselling", consent=True, **kwargs)
    return refer_case(case=case, actor=by, request=request)


@pytest.fixture
def in_service(case, operator, cso, cso_rep) -> Case:
    accept_referral(referral=referred(case, cso, operator), actor=cso_rep)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def resolved(in_service, cso_rep) -> Case:
    return resolve_case(case=in_service, actor=cso_rep, remark="Counselling done, made-up remark")


@pytest.fixture
def closed(resolved, operator) -> Case:
    return close_case(case=resolved, actor=operator, remark="", victim_check="checked")


def page(case: Case, action: str = "") -> str:
    return f"/cases/{case.number}/{action + '/' if action else ''}"


# Referring ---------------------------------------------------------------------------------------


def test_operator_refers_a_verified_case_with_the_victims_consent(
    case, operator, cso, cso_rep, otp_client
) -> None:
    client = otp_client(operator)
    form = client.get(page(case, "refer"))
    html = html_of(form)
    assert form.status_code == 200
    assert form["Cache-Control"].startswith("max-age=0")
    assert SAFE_TIMES in html  # the safe-contact box, in front of the referrer
    assert "What the organisation will see" in html
    assert "Yes, the victim agreed to this referral" in html
    assert 'name="consent_override"' not in html  # operators cannot override consent
    assert '<optgroup label="Safe Haven">' in html
    assert 'value="chidi"' in html

    response = client.post(
        page(case, "refer"),
        {
            "organisation": "safe-haven",
            "assignee": "chidi",
            "reason": "Needs counselling",
            "consent": "yes",
        },
        follow=True,
    )

    assert response.redirect_chain == [(page(case), 302)]
    referral = Referral.objects.get()
    assert (referral.organisation, referral.assignee, referral.consent) == (cso, cso_rep, True)
    assert referral.status == Referral.Status.PENDING
    assert Case.objects.get(pk=case.pk).status == S.REFERRED
    html = html_of(response)
    assert f"Case {case.number} referred." in html
    assert "Status: Verified → Referred" in html  # the timeline, in words
    assert "Named person" in html
    assert "Answer by" in html


def test_a_referral_without_consent_is_refused_and_nothing_is_stored(
    case, operator, cso, otp_client
) -> None:
    response = otp_client(operator).post(
        page(case, "refer"),
        {"organisation": "safe-haven", "reason": "Needs counselling", "consent": "no"},
    )

    assert response.status_code == 400
    html = html_of(response)
    assert "<title>Error: Refer case" in html
    assert "There is a problem" in html
    assert "The victim has not consented to this referral" in html
    assert not Referral.objects.exists()
    assert Case.objects.get(pk=case.pk).status == S.VERIFIED


def test_a_supervisor_refers_without_consent_giving_the_reason(
    case, supervisor, cso, otp_client
) -> None:
    client = otp_client(supervisor)
    assert "Refer without consent: why" in html_of(client.get(page(case, "refer")))

    response = client.post(
        page(case, "refer"),
        {
            "organisation": "safe-haven",
            "reason": "Needs a refuge tonight",
            "consent": "no",
            "consent_override": "Made-up: she is in immediate danger and cannot be reached",
        },
    )

    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.consent, referral.consent_overridden_by) == (False, supervisor)
    note = CaseNote.objects.get(kind=CaseNote.Kind.CONSENT_OVERRIDE)
    assert note.shared
    assert "immediate danger" in note.text


def test_refer_form_errors_rerender_with_the_summary_and_store_nothing(
    case, operator, cso, other_cso_rep, otp_client
) -> None:
    client = otp_client(operator)
    empty = client.post(page(case, "refer"), {})
    html = html_of(empty)
    assert empty.status_code == 400
    assert '<a href="#id_organisation">Choose the organisation to refer to</a>' in html
    assert "Say why you refer the case and what help is needed" in html
    assert '<a href="#id_consent_0">Say whether the victim agreed to this referral</a>' in html

    # a named person from another organisation than the one chosen
    wrong = client.post(
        page(case, "refer"),
        {"organisation": "safe-haven", "assignee": "dana", "reason": "x", "consent": "yes"},
    )
    assert wrong.status_code == 400
    assert "Choose someone at Safe Haven, or anyone there" in html_of(wrong)

    own = client.post(
        page(case, "refer"),
        {"organisation": "north-helpline", "reason": "x", "consent": "yes"},
    )
    assert own.status_code == 400  # only CSOs are offered
    assert not Referral.objects.exists()


# The receiving organisation ----------------------------------------------------------------------


def test_cso_rep_answers_serves_and_resolves_from_the_workspace(
    case, operator, cso, cso_rep, otp_client
) -> None:
    referral = referred(case, cso, operator)
    client = otp_client(cso_rep)
    assert client.get("/")["Location"] == "/casework/"

    workspace = html_of(client.get("/casework/"))
    assert f'href="/cases/{case.number}/"' in workspace
    assert f'action="/referrals/{referral.pk}/accept/"' in workspace
    assert f'href="/referrals/{referral.pk}/decline/"' in workspace
    assert ">Casework</a>" in workspace  # the nav link
    assert "Testperson Victim" not in workspace  # lists carry no personal details

    accepted = client.post(f"/referrals/{referral.pk}/accept/")
    assert accepted["Location"] == page(case)
    assert Case.objects.get(pk=case.pk).status == S.IN_SERVICE

    # A quick service: the case page, the form with the type chosen, Save.
    case_page = html_of(client.get(page(case)))
    assert SAFE_TIMES in case_page  # need to know: how to reach her safely, without asking again
    assert "Testperson Victim" in case_page
    assert f'href="/cases/{case.number}/services/new/?type=counselling"' in case_page
    form = client.get(f"{page(case, 'services/new')}?type=counselling")
    assert '<option value="counselling" selected>' in html_of(form)
    provided_at = re.search(r'name="provided_at" value="([^"]+)"', html_of(form)).group(1)
    saved = client.post(
        page(case, "services/new"), {"service_type": "counselling", "provided_at": provided_at}
    )
    assert saved["Location"] == page(case)
    service = ServiceRecord.objects.get()
    assert (service.service_type.code, service.organisation, service.recorded_by) == (
        "counselling",
        cso,
        cso_rep,
    )

    followed = client.post(
        page(case, "follow-ups/new"),
        {
            "kind": "call-back",
            "due_date": timezone.localdate().isoformat(),
            "notes": "Ask about court",
        },
        follow=True,
    )
    assert f"Follow-up set on case {case.number}." in html_of(followed)
    follow_up = FollowUp.objects.get()
    assert (follow_up.assignee, follow_up.organisation) == (cso_rep, cso)
    listed = html_of(client.get("/casework/?view=follow-ups"))
    assert "Due today (1)" in listed
    assert f'action="/follow-ups/{follow_up.pk}/done/"' in listed
    done = client.post(f"/follow-ups/{follow_up.pk}/done/", {"from": "casework"})
    assert done["Location"] == "/casework/?view=follow-ups"
    assert FollowUp.objects.get().done_at is not None

    resolve = client.post(page(case, "resolve"), {"remark": "Six sessions given"}, follow=True)
    assert resolve.redirect_chain == [("/casework/", 302)]
    assert f"Case {case.number} resolved" in html_of(resolve)
    assert Case.objects.get(pk=case.pk).status == S.RESOLVED
    # Resolving ended the organisation's part, and with it its access.
    assert client.get(page(case)).status_code == 404


def test_logging_a_quick_service_is_two_requests_after_the_case_page(
    in_service, cso_rep, otp_client
) -> None:
    client = otp_client(cso_rep)
    client.get(page(in_service))
    client.get(f"{page(in_service, 'services/new')}?type=shelter")
    response = client.post(
        page(in_service, "services/new"), {"service_type": "shelter", "provided_at": now_local()}
    )
    assert response.status_code == 302
    assert ServiceRecord.objects.get().service_type.code == "shelter"


def test_a_time_typed_with_an_offset_postgresql_refuses_is_stored_as_local_time(
    in_service, cso_rep, otp_client
) -> None:
    """Python reads offsets up to 23:59, PostgreSQL stores only up to 15:59: a crafted post with
    one was a 500 on PostgreSQL. The form reads the moment in local time."""
    response = otp_client(cso_rep).post(
        page(in_service, "services/new"),
        {"service_type": "shelter", "provided_at": "2026-03-01T10:00:00-19:42"},
    )
    assert response.status_code == 302
    stored = ServiceRecord.objects.get().provided_at
    assert stored == datetime(2026, 3, 2, 5, 42, tzinfo=UTC)


def test_service_form_errors_rerender_with_status_400_and_store_nothing(
    in_service, cso_rep, otp_client
) -> None:
    client = otp_client(cso_rep)
    bad = client.post(
        page(in_service, "services/new"),
        {"service_type": "counselling", "provided_at": now_local(), "duration_minutes": "abc"},
    )
    assert bad.status_code == 400
    html = html_of(bad)
    assert "<title>Error: Log a service" in html
    assert '<a href="#id_duration_minutes">Enter the minutes as a number, like 45</a>' in html

    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    ahead = client.post(
        page(in_service, "services/new"), {"service_type": "counselling", "provided_at": future}
    )
    assert ahead.status_code == 400  # the service refuses it: shown at the top of the form
    assert "A service cannot be logged before it happens." in html_of(ahead)
    assert not ServiceRecord.objects.exists()


def test_declining_needs_a_reason(case, operator, cso, cso_rep, otp_client) -> None:
    referral = referred(case, cso, operator)
    client = otp_client(cso_rep)
    assert client.get(f"/referrals/{referral.pk}/decline/").status_code == 200

    empty = client.post(f"/referrals/{referral.pk}/decline/", {"reason": "  "})
    assert empty.status_code == 400
    assert "Say why you decline, so the helpline can refer elsewhere" in html_of(empty)
    assert Referral.objects.get().status == Referral.Status.PENDING

    declined = client.post(f"/referrals/{referral.pk}/decline/", {"reason": "No capacity"})
    assert declined["Location"] == "/casework/"
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason) == (Referral.Status.DECLINED, "No capacity")
    assert Case.objects.get(pk=case.pk).status == S.VERIFIED
    # the helpline reads why, on the case page
    assert "No capacity" in html_of(otp_client(operator).get(page(case)))


def test_answering_twice_is_a_409_not_a_500(case, operator, cso, cso_rep, otp_client) -> None:
    referral = referred(case, cso, operator)
    client = otp_client(cso_rep)
    client.post(f"/referrals/{referral.pk}/accept/")
    again = client.post(f"/referrals/{referral.pk}/accept/")
    assert again.status_code == 409
    assert "already accepted" in html_of(again)


def test_withdrawing_asks_first(case, operator, cso, otp_client) -> None:
    referral = referred(case, cso, operator)
    client = otp_client(operator)
    case_page = html_of(client.get(page(case)))
    assert f'href="/referrals/{referral.pk}/withdraw/"' in case_page

    confirm = client.post(f"/referrals/{referral.pk}/withdraw/")
    assert confirm.status_code == 200
    assert "Withdraw the referral of case" in html_of(confirm)
    assert Referral.objects.get().status == Referral.Status.PENDING

    done = client.post(f"/referrals/{referral.pk}/withdraw/", {"confirm": "yes"})
    assert done["Location"] == page(case)
    assert Referral.objects.get().status == Referral.Status.WITHDRAWN
    assert Case.objects.get(pk=case.pk).status == S.VERIFIED


def test_the_receiving_side_cannot_withdraw(case, operator, cso, cso_rep, otp_client) -> None:
    referral = referred(case, cso, operator)
    client = otp_client(cso_rep)
    assert client.get(f"/referrals/{referral.pk}/withdraw/").status_code == 403
    assert client.post(f"/referrals/{referral.pk}/withdraw/", {"confirm": "yes"}).status_code == 403
    assert Referral.objects.get().status == Referral.Status.PENDING


# Closing, sending back, reopening ----------------------------------------------------------------


def test_operator_closes_a_resolved_case_after_checking_with_the_victim(
    resolved, operator, otp_client
) -> None:
    client = otp_client(operator)
    case_page = html_of(client.get(page(resolved)))
    assert f'href="/cases/{resolved.number}/close/"' in case_page
    assert "Close the case" in case_page

    form = html_of(client.get(page(resolved, "close")))
    assert SAFE_TIMES in form
    assert "Counselling done, made-up remark" in form  # what the CSO said, read before closing

    unanswered = client.post(page(resolved, "close"), {"remark": "Done"})
    assert unanswered.status_code == 400
    assert "Say whether you checked with the victim" in html_of(unanswered)
    assert Case.objects.get(pk=resolved.pk).status == S.RESOLVED

    response = client.post(
        page(resolved, "close"), {"victim_check": "not_safe", "remark": "Closing"}, follow=True
    )
    assert f"Case {resolved.number} closed." in html_of(response)
    assert Case.objects.get(pk=resolved.pk).status == S.CLOSED
    closing = CaseNote.objects.get(kind=CaseNote.Kind.CLOSING)
    assert "Not safe to contact the victim" in closing.text


def test_operator_sends_a_resolved_case_back(resolved, operator, cso, otp_client) -> None:
    client = otp_client(operator)
    form = html_of(client.get(page(resolved, "send-back")))
    assert '<option value="safe-haven" selected>Safe Haven</option>' in form

    empty = client.post(page(resolved, "send-back"), {"organisation": "safe-haven"})
    assert empty.status_code == 400
    assert Case.objects.get(pk=resolved.pk).status == S.RESOLVED

    response = client.post(
        page(resolved, "send-back"), {"organisation": "safe-haven", "remark": "She needs more"}
    )
    assert response["Location"] == page(resolved)
    assert Case.objects.get(pk=resolved.pk).status == S.IN_SERVICE
    assert Referral.objects.get().status == Referral.Status.ACCEPTED


def test_operator_reopens_a_closed_case_with_a_reason(closed, operator, otp_client) -> None:
    client = otp_client(operator)
    assert f'href="/cases/{closed.number}/reopen/"' in html_of(client.get(page(closed)))

    empty = client.post(page(closed, "reopen"), {"reason": ""})
    assert empty.status_code == 400
    assert '<a href="#id_reason">Say why the case is reopened</a>' in html_of(empty)
    assert Case.objects.get(pk=closed.pk).status == S.CLOSED

    assert client.post(page(closed, "reopen"), {"reason": "She called again"}).status_code == 302
    assert Case.objects.get(pk=closed.pk).status == S.VERIFIED


def test_closing_a_case_that_is_not_resolved_is_a_409(in_service, operator, otp_client) -> None:
    response = otp_client(operator).post(page(in_service, "close"), {"victim_check": "checked"})
    assert response.status_code == 409
    assert "A case that is in service cannot be closed." in html_of(response)
    assert Case.objects.get(pk=in_service.pk).status == S.IN_SERVICE


# Need to know ------------------------------------------------------------------------------------


def test_another_organisations_internal_note_never_reaches_the_cso(
    in_service, operator, cso_rep, otp_client
) -> None:
    add_note(case=in_service, actor=operator, text=f"{INTERNAL_CANARY} helpline only")
    add_note(case=in_service, actor=operator, text="Made-up shared guidance", shared=True)
    client = otp_client(cso_rep)
    client.post(page(in_service, "notes"), {"text": "Made-up CSO internal note"})

    html = html_of(client.get(page(in_service)))
    assert INTERNAL_CANARY not in html
    assert "Made-up shared guidance" in html
    assert "Shared with everyone working on this case" in html
    assert "Made-up CSO internal note" in html
    assert "Internal: Safe Haven only" in html
    assert INTERNAL_CANARY in html_of(otp_client(operator).get(page(in_service)))


def test_a_shared_note_from_the_case_page_form(in_service, cso_rep, otp_client) -> None:
    client = otp_client(cso_rep)
    response = client.post(page(in_service, "notes"), {"text": "For everyone", "shared": "on"})
    assert response["Location"] == f"{page(in_service)}#notes"
    note = CaseNote.objects.get(kind=CaseNote.Kind.NOTE)
    assert (note.text, note.shared) == ("For everyone", True)

    empty = client.post(page(in_service, "notes"), {"text": " "})
    assert empty.status_code == 400
    assert CaseNote.objects.filter(kind=CaseNote.Kind.NOTE).count() == 1


def test_other_cso_gets_404_on_the_case_and_every_action(
    in_service, operator, cso_rep, other_cso_rep, otp_client
) -> None:
    pending = referred(in_service, other_cso_rep.organisation, operator)
    pending.status = Referral.Status.DECLINED  # ended: no access left
    pending.save()
    follow_up = FollowUp.objects.create(
        case=in_service,
        organisation=cso_rep.organisation,
        kind_id=1,
        due_at=timezone.now(),
        assignee=cso_rep,
        created_by=cso_rep,
    )
    referral = Referral.objects.get(organisation=cso_rep.organisation)
    client = otp_client(other_cso_rep)
    urls = [
        page(in_service, action)
        for action in (
            "",
            "refer",
            "services/new",
            "follow-ups/new",
            "notes",
            "resolve",
            "close",
            "send-back",
            "reopen",
        )
    ]
    urls += [f"/referrals/{referral.pk}/{action}/" for action in ("accept", "decline", "withdraw")]
    urls += [f"/follow-ups/{follow_up.pk}/done/"]
    for url in urls:
        if not url.endswith(("accept/", "done/")):
            assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "remark": "x", "text": "x"}).status_code == 404, url
    assert not AccessLog.objects.filter(user=other_cso_rep).exists()


def test_monitors_see_no_notes_no_identities_and_no_actions(
    in_service, operator, monitor, otp_client
) -> None:
    add_note(case=in_service, actor=operator, text=f"{INTERNAL_CANARY} shared", shared=True)
    client = otp_client(monitor)
    response = client.get(page(in_service))
    html = html_of(response)
    assert response.status_code == 200
    assert INTERNAL_CANARY not in html
    assert "Testperson Victim" not in html
    assert SAFE_TIMES not in html
    assert "What you can do" not in html
    assert not ACTION_FORM.search(html)
    assert client.get(page(in_service, "refer")).status_code == 403
    assert client.post(page(in_service, "notes"), {"text": "x"}).status_code == 403
    assert not CaseNote.objects.filter(author=monitor).exists()


def test_an_archived_case_is_read_only_on_every_page(closed, operator, otp_client) -> None:
    archived = move_case(case=closed, to=S.ARCHIVED, actor=None, reason="Archived")
    notes_before = CaseNote.objects.count()
    client = otp_client(operator)

    html = html_of(client.get(page(archived)))
    assert "Archived: read-only." in html
    assert not ACTION_FORM.search(html)
    assert 'name="text"' not in html
    assert client.get(page(archived, "reopen")).status_code == 403

    assert client.post(page(archived, "notes"), {"text": "Too late"}).status_code == 409
    assert client.post(page(archived, "reopen"), {"reason": "Too late"}).status_code == 409
    assert (
        client.post(
            page(archived, "refer"), {"organisation": "safe-haven", "reason": "x", "consent": "yes"}
        ).status_code
        == 409
    )
    assert CaseNote.objects.count() == notes_before
    assert Case.objects.get(pk=archived.pk).status == S.ARCHIVED


# The case page and the lists ---------------------------------------------------------------------


def test_the_workflow_bar_marks_the_stage_and_the_next_step_for_this_user(
    case, operator, cso, cso_rep, otp_client
) -> None:
    html = html_of(otp_client(operator).get(page(case)))
    current = re.search(
        r'<li class="workflow-step is-current" aria-current="step">(.*?)</li>', html, re.S
    )
    assert "Verified" in current.group(1)
    assert html.count('aria-current="step"') == 1
    assert (
        f'<a class="btn btn-primary btn-sm" href="/cases/{case.number}/refer/">Refer the case</a>'
        in html
    )

    referred(case, cso, operator)
    cso_page = html_of(otp_client(cso_rep).get(page(case)))
    assert "Accept or decline" in cso_page
    assert f'href="/cases/{case.number}/refer/"' not in cso_page  # not theirs until accepted


def test_follow_ups_on_the_case_page_overdue_first_in_words(
    in_service, cso_rep, otp_client
) -> None:
    from cases.models import FollowUpKind

    for days, code in ((3, "court-date"), (-1, "call-back")):
        FollowUp.objects.create(
            case=in_service,
            organisation=cso_rep.organisation,
            kind=FollowUpKind.objects.get(code=code),
            due_at=timezone.now() + timedelta(days=days),
            assignee=cso_rep,
            created_by=cso_rep,
        )
    html = html_of(otp_client(cso_rep).get(page(in_service)))
    section = html[html.index('id="follow-ups"') :]
    assert section.index("Call back") < section.index("Court date")
    assert "Overdue</strong>" in section


def test_helpline_workspace_and_queue_show_referrals_past_their_deadline(
    case, resolved, operator, cso, other_cso, otp_client, helpline
) -> None:
    late_case = CaseFactory(helpline=helpline, status=S.VERIFIED)
    late = referred(late_case, other_cso, operator)
    Referral.objects.filter(pk=late.pk).update(
        deadline=timezone.now() - timedelta(hours=3, minutes=5)
    )
    client = otp_client(operator)

    to_close = html_of(client.get("/casework/"))
    assert "Resolved — ready to close" in to_close
    assert f'href="/cases/{resolved.number}/close/"' in to_close

    chase = html_of(client.get("/casework/?view=late"))
    assert late_case.number in chase
    assert "Overdue by 3 h" in chase

    queue = html_of(client.get("/console/"))
    assert "Referrals waiting past their deadline (1)" in queue
    assert f'href="/cases/{late_case.number}/"' in queue
    assert "Legal Aid" in queue


def test_the_queue_has_no_late_panel_when_nothing_is_late(operator, otp_client) -> None:
    assert "past their deadline" not in html_of(otp_client(operator).get("/console/"))


def test_monitors_and_admins_have_no_workspace(monitor, admin_user, otp_client) -> None:
    assert otp_client(monitor).get("/casework/").status_code == 403
    assert otp_client(admin_user).get("/casework/").status_code == 403


def test_service_type_list_offers_only_active_types(in_service, cso_rep, otp_client) -> None:
    ServiceType.objects.filter(code="legal").update(is_active=False)
    html = html_of(otp_client(cso_rep).get(page(in_service)))
    assert "?type=counselling" in html
    assert "?type=legal" not in html


def test_services_logged_by_another_organisation_show_without_their_notes(
    in_service, operator, cso_rep, otp_client
) -> None:
    log_service(
        case=in_service,
        actor=cso_rep,
        entry=ServiceEntry(
            service_type=ServiceType.objects.get(code="medical"),
            provided_at=timezone.now(),
            duration_minutes=30,
            notes="CANARY-CSO-SERVICE-NOTE",
        ),
    )
    html = html_of(otp_client(operator).get(page(in_service)))
    assert "Medical care" in html
    assert "30 min" in html
    assert "CANARY-CSO-SERVICE-NOTE" not in html
    assert "CANARY-CSO-SERVICE-NOTE" in html_of(otp_client(cso_rep).get(page(in_service)))


def test_the_workspace_lists_a_page_at_a_time(otp_client, helpline, cso, cso_rep, operator) -> None:
    from referrals.workspace import WORKSPACE_PAGE_SIZE
    from tests.factories import CaseFactory, ReferralFactory

    for _ in range(WORKSPACE_PAGE_SIZE + 3):
        ReferralFactory(
            case=CaseFactory(helpline=helpline, status="in_service"),
            organisation=cso,
            referred_by=operator,
        )
    client = otp_client(cso_rep)
    first = client.get("/casework/?view=organisation").content.decode()
    assert first.count('class="case-link"') == WORKSPACE_PAGE_SIZE
    assert f"Page 1 of 2 ({WORKSPACE_PAGE_SIZE + 3} in all)" in first
    second = client.get("/casework/?view=organisation&page=2").content.decode()
    assert second.count('class="case-link"') == 3
