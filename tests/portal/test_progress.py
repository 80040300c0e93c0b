"""The portal's home page: the victim's report in plain words. Stage words per status, the steps
done/now/next, who is helping (only what staff chose to show), appointments meant for them, the
updates on their timeline (newest first, read once shown), the unread messages link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, FollowUpKind
from portal.models import PortalUpdate, UpdateType
from portal.progress import STAGES, steps_of
from referrals.models import FollowUp, Referral
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

HOME = "/portal/"
S = Case.Status


def _set_status(case: Case, status: str) -> None:
    Case.objects.filter(pk=case.pk).update(status=status)


@pytest.mark.parametrize(
    ("status", "title", "step"),
    [
        (S.NEW, "We have your report", "We get your report"),
        (S.IN_TRIAGE, "We have your report", "We get your report"),
        (S.VERIFIED, "Someone is looking at your report", "We look at your report"),
        (S.REFERRED, "We have asked a support service to help you", "We find a support service"),
        (S.IN_SERVICE, "A support service is helping you", "A support service helps you"),
        (S.RESOLVED, "The support service has finished helping you", "We finish working"),
    ],
)
def test_the_stage_is_in_plain_words_for_each_status(
    victim_client, portal_case, status, title, step
) -> None:
    # given
    _set_status(portal_case, status)

    # when
    page = victim_client.get(HOME)

    # then
    html = page.content.decode()
    assert page.status_code == 200
    assert title in html
    assert "What happens next" in html
    assert 'aria-current="step"' in html
    current = html.split('aria-current="step"')[1].split("</li>")[0]
    assert step in current
    # never the raw status or its label
    assert f">{status}<" not in html
    assert Case.Status(status).label not in html.replace(title, "")


def test_a_closed_case_in_its_grace_period_says_we_have_finished(
    victim_client, portal_case
) -> None:
    Case.objects.filter(pk=portal_case.pk).update(
        status=S.CLOSED, closed_at=timezone.now() - timedelta(days=1)
    )

    html = victim_client.get(HOME).content.decode()

    assert "We have finished working on your report" in html
    assert 'aria-current="step"' not in html  # every step done
    assert html.count("portal-tag--done") == 5


def test_every_status_a_portal_can_show_has_words() -> None:
    shown = set(S.values) - {S.DISCARDED, S.MERGED}
    assert shown <= set(STAGES)
    for stage in STAGES.values():
        states = [step.state for step in steps_of(stage)]
        assert states.count("current") <= 1


def test_someone_not_signed_in_goes_to_sign_in(client, portal_case) -> None:
    page = client.get(HOME)
    assert page.status_code == 302
    assert page["Location"] == reverse("portal:sign-in")


def test_the_page_is_never_cached(victim_client) -> None:
    page = victim_client.get(HOME)
    assert "no-store" in page["Cache-Control"]


def test_only_live_referrals_staff_chose_to_show_are_named(
    victim_client, portal_case, cso, other_cso, operator
) -> None:
    # given: one shown and live, one live but not shown, one shown but ended
    ReferralFactory(
        case=portal_case, organisation=cso, shared_with_victim=True, referred_by=operator
    )
    ReferralFactory(case=portal_case, organisation=other_cso, referred_by=operator)
    ended = ReferralFactory(
        case=portal_case,
        organisation__name="Ended Shelter Canary",
        organisation__kind="cso",
        shared_with_victim=True,
        status=Referral.Status.DECLINED,
        referred_by=operator,
    )

    # when
    html = victim_client.get(HOME).content.decode()

    # then
    assert "Who is helping you" in html
    assert cso.name in html
    assert other_cso.name not in html
    assert ended.organisation.name not in html


def test_nobody_is_named_when_nothing_is_shared(victim_client, portal_case, cso, operator) -> None:
    ReferralFactory(case=portal_case, organisation=cso, referred_by=operator)
    html = victim_client.get(HOME).content.decode()
    assert "Who is helping you" not in html
    assert cso.name not in html


def _follow_up(case, user, *, code="appointment", due=timedelta(days=2), **extra) -> FollowUp:
    return FollowUp.objects.create(
        case=case,
        organisation=user.organisation,
        kind=FollowUpKind.objects.get(code=code),
        due_at=timezone.now() + due,
        assignee=user,
        **extra,
    )


def test_appointments_meant_for_the_victim_show_what_and_when_never_notes(
    victim_client, portal_case, operator
) -> None:
    # given
    meant = _follow_up(portal_case, operator, for_victim=True, notes="Canary note: staff only")
    _follow_up(portal_case, operator, code="call-back", notes="Internal callback canary")
    _follow_up(portal_case, operator, for_victim=True, code="check-in", due=-timedelta(hours=1))
    _follow_up(portal_case, operator, for_victim=True, code="court-date", done_at=timezone.now())

    # when
    html = victim_client.get(HOME).content.decode()

    # then
    assert "Coming up" in html
    assert "Appointment" in html
    assert timezone.localtime(meant.due_at).strftime("%H:%M") in html
    assert "Canary note" not in html
    assert "Call back" not in html
    assert "Internal callback canary" not in html
    assert "Check-in" not in html  # in the past
    assert "Court date" not in html  # done


def test_updates_show_newest_first_and_are_read_once_shown(victim_client, portal_case) -> None:
    # given
    kind = UpdateType.objects.create(code="test-update", name="Test", trigger="staff")
    older = PortalUpdate.objects.create(
        case=portal_case,
        update_type=kind,
        title="First update title",
        body="Older words",
        created_at=timezone.now() - timedelta(days=3),
    )
    newer = PortalUpdate.objects.create(
        case=portal_case, update_type=kind, title="Second update title", body="Newer words"
    )

    # when
    html = victim_client.get(HOME).content.decode()

    # then
    assert html.index(newer.title) < html.index(older.title)
    assert html.count("portal-tag--new") == 2
    assert PortalUpdate.objects.filter(case=portal_case, read_at=None).count() == 0
    again = victim_client.get(HOME).content.decode()
    assert "portal-tag--new" not in again


def test_another_cases_updates_never_show(victim_client, portal_case, helpline) -> None:
    from tests.factories import CaseFactory

    other = CaseFactory(helpline=helpline, status=S.VERIFIED)
    kind = UpdateType.objects.create(code="test-update", name="Test", trigger="staff")
    PortalUpdate.objects.create(case=other, update_type=kind, title="Other victim canary")

    html = victim_client.get(HOME).content.decode()

    assert "Other victim canary" not in html
    assert PortalUpdate.objects.get(case=other).read_at is None


def test_the_messages_link_counts_unread_replies(victim_client, portal_case, operator) -> None:
    # given
    from portal.messages import reply_in_portal

    reply_in_portal(case=portal_case, actor=operator, text="Hello from the team")
    reply_in_portal(case=portal_case, actor=operator, text="And again")

    # when
    html = victim_client.get(HOME).content.decode()

    # then
    assert "You have 2 new messages" in html
    assert "Messages (2 new)" in html
    victim_client.get("/portal/messages/")
    assert "You have 2 new messages" not in victim_client.get(HOME).content.decode()


def test_recommended_articles_are_linked_by_the_library(
    victim_client, portal_case, monkeypatch
) -> None:
    # given: the library recommends one article for this case
    from portal.models import Article, ArticleText

    article = Article.objects.create(slug="what-happens-next-test")
    text = ArticleText.objects.create(
        article=article, language="en", title="What happens after you report", body="Words."
    )
    seen = []

    def recommend(*, case, language="en", limit=5):
        seen.append((case.pk, language, limit))
        return [text]

    monkeypatch.setattr("portal.progress.recommend", recommend)

    # when
    html = victim_client.get(HOME).content.decode()

    # then
    assert seen == [(portal_case.pk, "en", 5)]
    assert "What happens after you report" in html
    assert reverse("help:article", args=[article.slug]) in html


def test_a_post_to_the_home_page_changes_nothing(victim_client) -> None:
    assert victim_client.post(HOME).status_code == 405
