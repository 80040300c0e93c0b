"""Who manages feeds (feeds.policy, the feeds part of the one access policy): a helpline's
supervisors and administrators, their own helpline's sources and every helpline's places sources
(the gazetteer has no helpline); nobody else. A batch is visible to exactly those who may manage its
source; the 404 look-ups say nothing of whether what was asked for exists."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts.models import Organisation, User
from feeds import policy
from feeds.models import FeedSource, ImportBatch
from tests.factories import OrganisationFactory, StaffFactory

pytestmark = pytest.mark.django_db


def make_source(
    slug: str, helpline: Organisation | None, kind: str = FeedSource.Kind.CRIMES
) -> FeedSource:
    return FeedSource.objects.create(slug=slug, name=slug, helpline=helpline, kind=kind)


def make_batch(source: FeedSource) -> ImportBatch:
    return ImportBatch.objects.create(source=source, origin="command", checksum="0" * 64)


@pytest.fixture
def sources(helpline: Organisation, other_helpline: Organisation) -> dict[str, FeedSource]:
    return {
        "ours": make_source("ours", helpline),
        "theirs": make_source("theirs", other_helpline),
        "places": make_source("places", None, FeedSource.Kind.PLACES),
        "orphan": make_source("orphan", None),  # a crime source no helpline owns yet
    }


@pytest.fixture
def other_supervisor(other_helpline: Organisation) -> User:
    return StaffFactory(username="sam", organisation=other_helpline, role=User.Role.SUPERVISOR)


MANAGERS = {"supervisor": {"ours", "places"}, "admin_user": {"ours", "places"},
            "other_supervisor": {"theirs", "places"}}  # fmt: skip
OTHERS = ["operator", "cso_rep", "monitor"]


@pytest.mark.parametrize(("who", "expected"), MANAGERS.items())
def test_managers_see_their_helplines_sources_and_the_places(
    who, expected, request, sources
) -> None:  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(who)
    batches = {slug: make_batch(source) for slug, source in sources.items()}

    assert policy.can_manage_feeds(user)
    assert set(policy.visible_sources(user).values_list("slug", flat=True)) == expected
    assert set(policy.visible_batches(user)) == {batches[slug] for slug in expected}
    for slug, source in sources.items():
        assert policy.can_manage_source(user, source) is (slug in expected), slug


@pytest.mark.parametrize("who", OTHERS)
def test_everyone_else_manages_nothing(who, request, sources) -> None:  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(who)
    batch = make_batch(sources["places"])

    assert not policy.can_manage_feeds(user)
    assert not policy.visible_sources(user).exists()
    assert not policy.visible_batches(user).exists()
    assert not any(policy.can_manage_source(user, source) for source in sources.values())
    with pytest.raises(Http404):
        policy.batch_of(user, batch.pk)
    with pytest.raises(Http404):
        policy.source_of(user, "places")


def test_an_anonymous_user_manages_nothing(sources) -> None:  # type: ignore[no-untyped-def]
    anonymous = AnonymousUser()

    assert not policy.can_manage_feeds(anonymous)
    assert not policy.visible_sources(anonymous).exists()
    assert not policy.visible_batches(anonymous).exists()


def test_an_administrator_of_a_cso_or_monitor_manages_no_feeds(sources) -> None:  # type: ignore[no-untyped-def]
    for kind in (Organisation.Kind.CSO, Organisation.Kind.MONITOR):
        organisation = OrganisationFactory(kind=kind)
        admin = StaffFactory(organisation=organisation, role=User.Role.ADMIN)
        assert not policy.can_manage_feeds(admin), kind
        assert not policy.visible_sources(admin).exists(), kind


@pytest.mark.parametrize(
    "lose",
    [
        lambda user: User.objects.filter(pk=user.pk).update(is_active=False),
        lambda user: Organisation.objects.filter(pk=user.organisation_id).update(is_active=False),
    ],
    ids=["disabled", "organisation-inactive"],
)
def test_losing_the_account_or_organisation_loses_the_feeds(lose, supervisor, sources) -> None:  # type: ignore[no-untyped-def]
    lose(supervisor)
    supervisor = User.objects.select_related("organisation").get(pk=supervisor.pk)

    assert not policy.can_manage_feeds(supervisor)
    assert not policy.visible_sources(supervisor).exists()


def test_the_lookups_answer_404_alike_for_missing_and_forbidden(supervisor, sources) -> None:  # type: ignore[no-untyped-def]
    theirs = make_batch(sources["theirs"])

    assert policy.source_of(supervisor, "ours") == sources["ours"]
    for slug in ("theirs", "no-such-source"):
        with pytest.raises(Http404):
            policy.source_of(supervisor, slug)
    for batch_id in (theirs.pk, theirs.pk + 1000):
        with pytest.raises(Http404):
            policy.batch_of(supervisor, batch_id)
