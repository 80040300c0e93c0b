"""The feeds part of the access policy (cases.policy is the rest): who may import files, read the
import reports and roll a batch back.

- A helpline's supervisors and administrators manage their own helpline's crime sources.
- Places sources (the gazetteer) belong to no helpline: every helpline's supervisors and
  administrators may import them, as every helpline matches addresses against them.
- Operators, CSO staff and monitors manage no source; neither does anyone outside a helpline.

A batch is visible to exactly those who may manage its source: its report names the cases it
opened (each shown only if cases.policy lets the reader see it) and its row errors."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Organisation, User
from cases.policy import AnyUser
from feeds.models import FeedSource, ImportBatch


def _feed_manager(user: AnyUser) -> User | None:
    """The user, if they are an active supervisor or administrator of an active helpline."""
    if not isinstance(user, User) or not user.is_active:
        return None
    organisation = user.organisation
    if organisation is None or not organisation.is_active:
        return None
    if organisation.kind != Organisation.Kind.HELPLINE:
        return None
    # Administrators hold no case permission (accounts.roles), so their role is what counts;
    # supervisors are recognised by the permission their role gives, as cases.policy does.
    if user.role == User.Role.ADMIN or user.has_perm("cases.supervise_case"):
        return user
    return None


def can_manage_feeds(user: AnyUser) -> bool:
    """Import files, read import reports, roll batches back (of the sources visible_sources gives)."""
    return _feed_manager(user) is not None


def _managed(user: AnyUser) -> Q | None:
    manager = _feed_manager(user)
    if manager is None:
        return None
    return Q(helpline_id=manager.organisation_id) | Q(kind=FeedSource.Kind.PLACES)


def visible_sources(user: AnyUser) -> QuerySet[FeedSource]:
    """The sources this user may import into and whose batches they may read."""
    managed = _managed(user)
    if managed is None:
        return FeedSource.objects.none()
    return FeedSource.objects.filter(managed)


def visible_batches(user: AnyUser) -> QuerySet[ImportBatch]:
    """Batches of the sources this user may manage."""
    if _managed(user) is None:
        return ImportBatch.objects.none()
    return ImportBatch.objects.filter(source__in=visible_sources(user))


def can_manage_source(user: AnyUser, source: FeedSource) -> bool:
    """One source, already loaded (a page or a consumer holding it)."""
    manager = _feed_manager(user)
    if manager is None:
        return False
    return source.kind == FeedSource.Kind.PLACES or source.helpline_id == manager.organisation_id


def source_of(user: AnyUser, slug: str) -> FeedSource:
    """The source, if this user may manage it; else 404 (whether or not it exists)."""
    return get_object_or_404(visible_sources(user), slug=slug)


def batch_of(user: AnyUser, batch_id: int) -> ImportBatch:
    """The batch (its source and who started it loaded), if this user may manage its source."""
    batches = visible_batches(user).select_related("source", "started_by", "rolled_back_by")
    return get_object_or_404(batches, pk=batch_id)
