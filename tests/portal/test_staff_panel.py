"""The case page's portal panel and its actions (issue 14 items 1, 4, 5, 6): the access's state in
words, invite again, revoke with a reason (which signs the victim out at once), unlock, and the
reply, update and article forms, each through the case access policy: 404 for a case the user
cannot see, 403 for one they see but may not change. Every name, number and word is made up."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.utils import timezone

from cases.models import Case
from cases.workflow import CaseError
from notifications.models import Notification
from portal import access_services
from portal.articles import article_link
from portal.models import Article, PortalAccess, PortalUpdate, SignInCode, UpdateType
from tests.factories import ReferralFactory
from tests.portal.conftest import sign_in_as

pytestmark = pytest.mark.django_db

S = Notification.Status
ACTIONS = ("invite", "revoke", "unlock", "reply", "update", "article")


def url(case: Case, action: str) -> str:
    return f"/cases/{case.number}/portal/{action}/"


def page(client, case: Case) -> str:
    return client.get(f"/cases/{case.number}/").content.decode()


def said(answer) -> list[str]:
    return [str(message) for message in get_messages(answer.wsgi_request)]


def lock(access: PortalAccess, minutes: int = 10) -> None:
    access.failed_attempts = 5
    access.locked_until = timezone.now() + timedelta(minutes=minutes)
    access.save()


# The panel -----------------------------------------------------------------------------------


def test_the_holder_sees_the_panel_with_not_invited(portal_case, operator, otp_client):
    html = page(otp_client(operator), portal_case)
    assert 'id="portal-heading"' in html
    assert "Not invited" in html
    assert "They want to follow their report online" in html
    assert "Invite to the portal" in html
    assert url(portal_case, "revoke") not in html  # nothing to revoke yet


def test_the_panel_says_invited_how_often_and_what_the_invitation_became(
    portal_case, operator, otp_client
):
    victim = portal_case.people.get(role="victim").person
    victim.contact_preferences = {**victim.contact_preferences, "contact": "none"}
    victim.save()
    access_services.invite(portal_case, operator)
    access_services.invite(portal_case, operator)

    html = page(otp_client(operator), portal_case)

    assert "Invited (2 times), first on" in html
    assert "Not sent: The victim asked not to be contacted." in html
    assert "Has not signed in yet" in html
    assert "Send the invitation again" in html


def test_the_panel_says_when_they_last_signed_in(portal_access, operator, otp_client):
    portal_access.last_signed_in_at = timezone.now()
    portal_access.save()
    html = page(otp_client(operator), portal_access.case)
    assert "Last signed in" in html
    assert "Active: they can sign in" in html


def test_the_panel_says_locked_until_and_offers_unlock(portal_access, operator, otp_client):
    lock(portal_access)
    html = page(otp_client(operator), portal_access.case)
    assert "Sign-in locked after wrong codes, until" in html
    assert url(portal_access.case, "unlock") in html


def test_the_panel_says_who_revoked(portal_access, operator, otp_client):
    access_services.revoke_access(case=portal_access.case, actor=operator, reason="Phone lost")
    html = page(otp_client(operator), portal_access.case)
    assert "Revoked by amina on" in html
    assert "Invite again" in html
    assert url(portal_access.case, "reply") not in html  # they would not see it


def test_a_victim_who_did_not_say_yes_gets_no_invite_button(portal_case, operator, otp_client):
    victim = portal_case.people.get(role="victim").person
    victim.contact_preferences = {**victim.contact_preferences, "portal": False}
    victim.save()
    html = page(otp_client(operator), portal_case)
    assert "They have not said yes to the portal" in html
    assert url(portal_case, "invite") not in html


def test_the_forms_are_there_for_an_open_access(portal_access, operator, otp_client):
    html = page(otp_client(operator), portal_access.case)
    for action in ("reply", "update", "article", "revoke"):
        assert url(portal_access.case, action) in html, action
    assert "Please contact us" in html  # a staff-sent update type
    assert "Court date set" in html


def test_the_panels_ids_are_its_own_on_the_case_page(portal_access, operator, otp_client):
    # the page's message form has a "text" box too: each label must find its own box
    html = page(otp_client(operator), portal_access.case)
    panel = html[html.index('<section id="portal"') :]
    panel = panel[: panel.index("</section>")]
    ids = re.findall(r'\sid="([^"]+)"', panel)
    assert "portal_text" in ids
    for found in ids:
        assert len(re.findall(rf'\sid="{re.escape(found)}"', html)) == 1, found
    for target in re.findall(r'<label for="([^"]+)"', panel):
        assert target in ids, target


def test_a_monitor_sees_nothing_of_the_panel(portal_access, monitor, otp_client):
    html = page(otp_client(monitor), portal_access.case)
    assert 'id="portal-heading"' not in html
    assert "/portal/" not in html.split("<main", 1)[-1]


def test_a_cso_only_asked_to_help_sees_nothing_of_the_panel(portal_access, cso_rep, otp_client):
    ReferralFactory(case=portal_access.case, organisation=cso_rep.organisation, status="pending")
    answer = otp_client(cso_rep).get(f"/cases/{portal_access.case.number}/")
    assert answer.status_code == 200
    assert 'id="portal-heading"' not in answer.content.decode()


def test_a_cso_serving_the_case_sees_the_panel(portal_access, cso_rep, otp_client):
    ReferralFactory(case=portal_access.case, organisation=cso_rep.organisation, status="accepted")
    assert 'id="portal-heading"' in page(otp_client(cso_rep), portal_access.case)


# Who may act ---------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_another_helplines_operator_gets_404_and_nothing_changes(
    action, portal_access, other_operator, otp_client
):
    answer = otp_client(other_operator).post(url(portal_access.case, action), {"reason": "x"})
    assert answer.status_code == 404
    portal_access.refresh_from_db()
    assert portal_access.status == "active"
    assert not Notification.objects.filter(case=portal_access.case).exists()


@pytest.mark.parametrize("action", ACTIONS)
def test_a_monitor_gets_403_and_nothing_changes(action, portal_access, monitor, otp_client):
    answer = otp_client(monitor).post(url(portal_access.case, action), {"reason": "x"})
    assert answer.status_code == 403
    portal_access.refresh_from_db()
    assert portal_access.status == "active"
    assert not Notification.objects.filter(case=portal_access.case).exists()


@pytest.mark.parametrize("action", ACTIONS)
def test_a_cso_rep_gets_404_unless_referred_and_403_until_they_accept(
    action, portal_access, cso_rep, otp_client
):
    client = otp_client(cso_rep)
    assert client.post(url(portal_access.case, action), {"reason": "x"}).status_code == 404
    ReferralFactory(case=portal_access.case, organisation=cso_rep.organisation, status="pending")
    assert client.post(url(portal_access.case, action), {"reason": "x"}).status_code == 403
    portal_access.refresh_from_db()
    assert portal_access.status == "active"


def test_a_cso_serving_the_case_may_revoke(portal_access, cso_rep, otp_client):
    ReferralFactory(case=portal_access.case, organisation=cso_rep.organisation, status="accepted")
    answer = otp_client(cso_rep).post(url(portal_access.case, "revoke"), {"reason": "Asked us"})
    assert answer.status_code == 302
    portal_access.refresh_from_db()
    assert (portal_access.status, portal_access.revoked_by) == ("revoked", cso_rep)


@pytest.mark.parametrize("action", ACTIONS)
def test_a_get_changes_nothing(action, portal_access, operator, otp_client):
    assert otp_client(operator).get(url(portal_access.case, action)).status_code == 405


def test_an_unknown_case_number_is_404(operator, otp_client):
    answer = otp_client(operator).post("/cases/LNT-2026-999999/portal/invite/")
    assert answer.status_code == 404


# Inviting ------------------------------------------------------------------------------------


def test_the_holder_invites_and_is_told_what_became_of_it(
    portal_case, operator, otp_client, django_capture_on_commit_callbacks
):
    answer = otp_client(operator).post(url(portal_case, "invite"))

    assert answer.status_code == 302
    assert answer["Location"] == f"/cases/{portal_case.number}/#portal"
    access = PortalAccess.objects.get(case=portal_case)
    assert (access.invited_by, access.invitations_sent) == (operator, 1)
    assert said(answer) == ["Invitation to the portal: Queued."]
    row = Notification.objects.get(case=portal_case, kind="victim.portal_invitation")
    assert portal_case.number in row.text


def test_an_invitation_refused_by_safe_contact_says_so_at_once(portal_case, operator, otp_client):
    victim = portal_case.people.get(role="victim").person
    victim.contact_preferences = {**victim.contact_preferences, "contact": "none"}
    victim.save()

    answer = otp_client(operator).post(url(portal_case, "invite"))

    assert said(answer) == [
        "Invitation to the portal: Not sent: The victim asked not to be contacted."
    ]


def test_inviting_a_victim_who_did_not_say_yes_is_refused_in_words(
    portal_case, operator, otp_client
):
    victim = portal_case.people.get(role="victim").person
    victim.contact_preferences = {**victim.contact_preferences, "portal": False}
    victim.save()

    answer = otp_client(operator).post(url(portal_case, "invite"))

    assert answer.status_code == 302
    assert "not said yes" in said(answer)[0]
    assert not PortalAccess.objects.filter(case=portal_case).exists()
    assert not Notification.objects.exists()


# Revoking ------------------------------------------------------------------------------------


def test_revoking_needs_a_reason(portal_access, operator, otp_client):
    for reason in ("", "   "):
        answer = otp_client(operator).post(url(portal_access.case, "revoke"), {"reason": reason})
        assert answer.status_code == 302
        assert said(answer) == ["Say why the portal access ends."]
    portal_access.refresh_from_db()
    assert portal_access.status == "active"


def test_revoking_keeps_who_when_and_why(portal_access, operator, otp_client):
    answer = otp_client(operator).post(
        url(portal_access.case, "revoke"), {"reason": "They asked us to stop"}
    )

    assert said(answer) == ["Portal access revoked. The victim is signed out now."]
    portal_access.refresh_from_db()
    assert (portal_access.status, portal_access.revoked_by) == ("revoked", operator)
    assert portal_access.revoked_at is not None
    latest = portal_access.history.first()
    assert latest.history_change_reason == "Portal access revoked: They asked us to stop"
    assert latest.history_user == operator


def test_a_revoked_victims_open_session_is_out_on_its_next_request(
    portal_access, operator, otp_client, client
):
    victim = sign_in_as(client, portal_access)
    assert victim.get("/portal/").status_code == 200

    otp_client(operator).post(url(portal_access.case, "revoke"), {"reason": "Phone taken"})

    answer = victim.get("/portal/")
    assert answer.status_code == 302
    assert answer["Location"] == "/portal/sign-in/"
    assert "portal" not in victim.session  # flushed on the server, not only refused


def test_revoking_ends_codes_already_sent(portal_access, operator):
    now = timezone.now()
    code = SignInCode.objects.create(
        access=portal_access, code_index="0" * 64, channel="sms", expires_at=now + timedelta(5)
    )

    access_services.revoke_access(case=portal_access.case, actor=operator, reason="Phone taken")

    code.refresh_from_db()
    assert code.expires_at <= timezone.now()


def test_revoking_twice_says_it_already_was(portal_access, operator, supervisor, otp_client):
    otp_client(operator).post(url(portal_access.case, "revoke"), {"reason": "First"})
    answer = otp_client(supervisor).post(url(portal_access.case, "revoke"), {"reason": "Second"})
    assert said(answer) == ["The portal access was already revoked."]
    portal_access.refresh_from_db()
    assert portal_access.revoked_by.username == "amina"


def test_revoking_without_an_access_says_so(portal_case, operator, otp_client):
    answer = otp_client(operator).post(url(portal_case, "revoke"), {"reason": "Just in case"})
    assert said(answer) == ["The victim has not been invited to the portal."]
    assert not PortalAccess.objects.exists()


def test_inviting_again_after_revoking_lets_them_back_in(portal_access, operator, client):
    access_services.revoke_access(case=portal_access.case, actor=operator, reason="By mistake")
    access_services.invite(portal_access.case, operator)
    assert sign_in_as(client, portal_access).get("/portal/").status_code == 200


# Unlocking -----------------------------------------------------------------------------------


def test_unlocking_lets_them_try_again(portal_access, operator, otp_client):
    lock(portal_access)

    answer = otp_client(operator).post(url(portal_access.case, "unlock"))

    assert said(answer) == ["Portal sign-in unlocked: the victim can ask for a new code."]
    portal_access.refresh_from_db()
    assert (portal_access.locked_until, portal_access.failed_attempts) == (None, 0)
    assert portal_access.history.first().history_change_reason == (
        "Portal sign-in unlocked by staff"
    )


def test_unlocking_what_is_not_locked_says_so(portal_access, operator, otp_client):
    lock(portal_access, minutes=-1)  # a lock that ran out
    answer = otp_client(operator).post(url(portal_access.case, "unlock"))
    assert said(answer) == ["The portal sign-in is not locked."]


# Reply, update, article ----------------------------------------------------------------------


def test_a_reply_goes_into_the_portal(portal_access, operator, otp_client):
    answer = otp_client(operator).post(
        url(portal_access.case, "reply"), {"text": "We will call on Tuesday. Made-up words."}
    )

    assert said(answer) == ["Reply put in the portal."]
    row = Notification.objects.get(case=portal_access.case, channel="portal")
    assert (row.text, row.sent_by) == ("We will call on Tuesday. Made-up words.", operator)


def test_an_empty_reply_is_refused_and_nothing_goes(portal_access, operator, otp_client):
    answer = otp_client(operator).post(url(portal_access.case, "reply"), {"text": "  "})
    assert said(answer) == ["Write the message first."]
    assert not Notification.objects.filter(case=portal_access.case).exists()


def test_a_reply_to_a_revoked_access_is_refused(portal_access, operator, otp_client):
    access_services.revoke_access(case=portal_access.case, actor=operator, reason="Phone taken")
    answer = otp_client(operator).post(url(portal_access.case, "reply"), {"text": "Hello"})
    assert "cannot sign in" in said(answer)[0]
    assert not Notification.objects.filter(case=portal_access.case, channel="portal").exists()


def test_a_staff_update_is_sent(portal_access, operator, otp_client):
    kind = UpdateType.objects.get(code="please_contact_us")

    answer = otp_client(operator).post(url(portal_access.case, "update"), {"update_type": kind.pk})

    assert answer.status_code == 302
    assert said(answer)[0].startswith("Update put in the portal.")
    update = PortalUpdate.objects.get(case=portal_access.case)
    assert (update.update_type, update.sent_by) == (kind, operator)


def test_an_update_that_staff_do_not_send_is_refused(portal_access, operator, otp_client):
    automatic = UpdateType.objects.get(code="case_resolved")
    answer = otp_client(operator).post(
        url(portal_access.case, "update"), {"update_type": automatic.pk}
    )
    assert said(answer) == ["Choose one of the updates staff send."]
    assert not PortalUpdate.objects.exists()


def test_a_help_article_link_is_sent(portal_access, operator, otp_client):
    article = Article.objects.filter(is_published=True).first()

    answer = otp_client(operator).post(url(portal_access.case, "article"), {"article": article.pk})

    assert said(answer)[0].startswith("Link to the help article: ")
    row = Notification.objects.get(case=portal_access.case, kind="victim.article")
    assert article_link(article) in row.text


def test_an_unpublished_article_is_refused(portal_access, operator, otp_client):
    article = Article.objects.filter(is_published=True).first()
    article.is_published = False
    article.save()
    answer = otp_client(operator).post(url(portal_access.case, "article"), {"article": article.pk})
    assert said(answer) == ["Choose an article from the library."]
    assert not Notification.objects.filter(kind="victim.article").exists()


# Two at once (PostgreSQL: real row locks) ----------------------------------------------------


def _at_once(action, times: int = 2) -> list[object]:
    barrier = threading.Barrier(times)

    def run(index: int) -> object:
        barrier.wait()
        try:
            return action(index)
        except CaseError as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(run, range(times)))


@pytest.mark.django_db(transaction=True)
def test_two_people_inviting_at_once_both_land_one_after_the_other(
    require_postgresql, portal_case, operator, supervisor
):
    staff = [operator, supervisor]

    results = _at_once(lambda i: access_services.invite(portal_case, staff[i]))

    assert all(isinstance(row, Notification) for row in results), results
    access = PortalAccess.objects.get(case=portal_case)  # one access, not two
    assert access.invitations_sent == 2
    assert (
        Notification.objects.filter(case=portal_case, kind="victim.portal_invitation").count() == 2
    )


@pytest.mark.django_db(transaction=True)
def test_two_people_revoking_at_once_revoke_once(
    require_postgresql, portal_access, operator, supervisor
):
    staff = [operator, supervisor]

    results = _at_once(
        lambda i: access_services.revoke_access(
            case=portal_access.case, actor=staff[i], reason=f"Reason {i}"
        )
    )

    refused = [r for r in results if isinstance(r, CaseError)]
    assert [str(r) for r in refused] == ["The portal access was already revoked."]
    revocations = portal_access.history.filter(status="revoked", history_type="~")
    assert revocations.count() == 1
