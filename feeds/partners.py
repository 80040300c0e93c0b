"""Partner systems (a force's crime system) talking to us: their secrets and signatures, the events
they send (CONTRACT "Police and partner feeds") and the reconciliation of events that named a
crime reference no case had yet. An event is kept once per (partner, event_id), so a replay changes
nothing; one that matches a case becomes a timeline entry and, if an update message type has its
event (portal.updates), an update in the victim's portal with a neutral notice through the
safe-contact gate."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Case as Choose
from django.db.models import Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Organisation
from cases import events
from cases.models import Case, ExternalEvent, ExternalReference
from cases.models.people import value_index
from cases.moves import case_summary
from cases.policy import AnyUser, visible_cases
from feeds.models import Partner, PartnerEvent, PartnerEventType
from feeds.policy import can_manage_feeds
from notifications import realtime
from project.history import attribute_change

logger = logging.getLogger(__name__)

CRIME_NUMBER = "crime_number"
SIGNATURE_PREFIX = "sha256="


class PartnerError(Exception):
    """A partner change or event that cannot be made, in words for whoever asked."""


# Secrets and signatures ---------------------------------------------------------------------------


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def sign(body: bytes, secret: str) -> str:
    """The X-Lantern-Signature of a body: its HMAC-SHA256 with the secret, as hex."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signed_by(partner: Partner, body: bytes, signature: str, *, now: datetime) -> bool:
    """Whether the signature is the partner's over these bytes: with its current secret, or with
    the previous one while a rotation's overlap lasts (both sides change without downtime)."""
    secrets_now = [partner.secret]
    if (
        partner.previous_secret
        and partner.previous_secret_until
        and (partner.previous_secret_until > now)
    ):
        secrets_now.append(partner.previous_secret)
    # Every candidate is compared, in constant time, whichever matches first.
    given = signature.encode()
    matches = [hmac.compare_digest(sign(body, secret).encode(), given) for secret in secrets_now]
    return any(matches)


def sender_of(slug: str, body: bytes, signature: str) -> Partner | None:
    """The active partner named by `slug` if it signed these bytes; None for an unknown or
    inactive partner or a missing or wrong signature alike (one answer, nothing to probe)."""
    partner = Partner.objects.filter(slug=slug[:64], is_active=True).first() if slug else None
    if partner is None or not signature.startswith(SIGNATURE_PREFIX):
        return None
    return partner if signed_by(partner, body, signature, now=timezone.now()) else None


def check_url(url: str) -> str:
    """A partner's address for our webhooks: https, or http to this machine while DEBUG is on (a
    developer's or a test's loopback receiver). Anything else could send a victim's case number
    and crime reference across a network in the clear."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if (
        parts.scheme == "http"
        and settings.DEBUG
        and parts.hostname in ("127.0.0.1", "localhost", "::1")
    ):
        return url
    raise PartnerError("The partner's address must be an https:// address.")


@transaction.atomic
def create_partner(
    *, slug: str, name: str, url: str, helpline: Organisation | None
) -> tuple[Partner, str]:
    """A new partner and its secret (returned once, to be given to the partner)."""
    if Partner.objects.filter(slug=slug).exists():
        raise PartnerError(f"A partner {slug} exists already: nothing was changed.")
    checked_url = check_url(url) if url else ""
    # One helpline's, always: its unmatched events (crime references, what happened) and its
    # deliveries are read by that helpline's supervisors only, and it matches only its cases.
    if helpline is None or helpline.kind != Organisation.Kind.HELPLINE:
        raise PartnerError("A partner works with one helpline: name it (--helpline SLUG).")
    secret = new_secret()
    partner = Partner(slug=slug, name=name.strip(), url=checked_url)
    partner.helpline, partner.secret = helpline, secret
    partner.full_clean()
    attribute_change(partner, actor=None, reason="Partner created")
    partner.save()
    return partner, secret


@transaction.atomic
def rotate_secret(*, partner: Partner, now: datetime | None = None) -> str:
    """A new secret; the one it replaces stays valid for PARTNER_SECRET_OVERLAP_HOURS, so the
    partner can switch when it is ready. A second rotation within the overlap ends the first's."""
    now = now or timezone.now()
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    secret = new_secret()
    partner.previous_secret, partner.secret = partner.secret, secret
    overlap = timedelta(hours=settings.PARTNER_SECRET_OVERLAP_HOURS)
    partner.previous_secret_until = now + overlap
    attribute_change(partner, actor=None, reason="Secret rotated")
    partner.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return secret


# Receiving events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingEvent:
    """An event's body, checked (feeds.partner_api): a known type, a time with its zone."""

    event_id: str
    type: PartnerEventType
    occurred_at: datetime
    crime_reference: str = ""
    case_number: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def kept_event(partner: Partner, event_id: object) -> PartnerEvent | None:
    """The event this partner already sent under `event_id`, if any (a replay)."""
    if not isinstance(event_id, str) or not event_id or len(event_id) > 128:
        return None
    return PartnerEvent.objects.filter(partner=partner, event_id=event_id).first()


def receive_event(*, partner: Partner, event: IncomingEvent) -> tuple[PartnerEvent, bool]:
    """Keep the event and apply it to its case, or keep it unmatched for reconciliation. Returns
    (event, stored now); a replay of an event_id already kept returns the first, changing nothing.
    Two deliveries at once: the unique (partner, event_id) decides, the loser rolls back whole."""
    kept = kept_event(partner, event.event_id)
    if kept is not None:
        return kept, False
    try:
        with transaction.atomic():
            return _store(partner, event), True
    except IntegrityError:
        kept = PartnerEvent.objects.filter(partner=partner, event_id=event.event_id).first()
        if kept is None:  # not the race: something else is wrong, and must be seen
            raise
        return kept, False


def _store(partner: Partner, event: IncomingEvent) -> PartnerEvent:
    case = _case_for(partner, event)
    # A case number is not a crime reference: it is kept to read, never matched later.
    reference = event.crime_reference or event.case_number
    stored = PartnerEvent(
        partner=partner,
        event_id=event.event_id,
        type=event.type.code,
        reference=reference,
        reference_index=value_index(event.crime_reference),
        occurred_at=event.occurred_at,
        data=event.data,
        outcome=PartnerEvent.Outcome.UNMATCHED,
    )
    stored.save()  # first: the unique constraint decides between two deliveries at once
    if case is not None:
        _apply(stored, case, outcome=PartnerEvent.Outcome.APPLIED, actor=None)
    logger.info(
        "partner_event_received",
        extra={"partner": partner.slug, "event": stored.pk, "outcome": stored.outcome},
    )
    return stored


def _case_for(partner: Partner, event: IncomingEvent) -> Case | None:
    """The case the event is about: by our number (only a case of the partner's helpline, when it
    has one), else by the crime reference; None when nothing matches."""
    cases = Case.objects.all()
    if partner.helpline_id:
        cases = cases.filter(helpline_id=partner.helpline_id)
    if event.case_number:
        found = cases.filter(number=event.case_number).first()
        if found is not None:
            return live_case(found)
    return case_with_reference(cases, value_index(event.crime_reference))


def live_case(case: Case) -> Case:
    """The case itself or, for one merged into another, the case it now lives in (a merged case
    is read-only; its references may have stayed on it)."""
    seen = {case.pk}
    while case.merged_into_id and case.merged_into_id not in seen:
        case = Case.objects.get(pk=case.merged_into_id)
        seen.add(case.pk)
    return case


def case_with_reference(cases: QuerySet[Case], index: str) -> Case | None:
    """The one case among `cases` holding this crime number; None for none, or for several (a
    person decides which, on the reconciliation page)."""
    if not index:
        return None
    holders = ExternalReference.objects.filter(
        kind__code=CRIME_NUMBER, case__isnull=False, value_index=index
    ).values("case_id")
    live = {case.pk: case for case in map(live_case, cases.filter(pk__in=holders)[:10])}
    return next(iter(live.values())) if len(live) == 1 else None


def _apply(
    event: PartnerEvent, case: Case, *, outcome: str, actor: AbstractBaseUser | None
) -> None:
    """In the caller's transaction: the event joins the case, a timeline entry says what happened,
    the victim may get a neutral update, and the console hears of it after commit."""
    kind = PartnerEventType.objects.filter(code=event.type).first()
    label = kind.label if kind else event.type
    event.case, event.outcome = case, outcome
    event.save(update_fields=["case", "outcome"])
    entry = ExternalEvent(
        case=case,
        source=event.partner.name,
        kind=event.type,
        label=label,
        occurred_at=event.occurred_at,
        data=event.data,
    )
    reason = f"{label} ({event.partner.name})"
    if outcome == PartnerEvent.Outcome.RECONCILED:
        reason += (
            "; matched to this case by hand"
            if actor
            else "; matched once the case had its crime number"
        )
    attribute_change(entry, actor=actor, reason=reason)
    entry.save()
    # What the victim is told, if anything, is the update message types' business: every active
    # one with this event becomes an update in the portal and a neutral notice (portal.updates).
    events.partner_event(case=case, event=event.type, actor=actor)
    realtime.broadcast_case_event(
        case.helpline_id, realtime.CaseEvent(type="case.updated", case=case_summary(case))
    )


# Reconciliation ---------------------------------------------------------------------------------


def reconcile_event(*, event: PartnerEvent, case_number: str, actor: AbstractBaseUser) -> Case:
    """A supervisor matches an unmatched event to a case they can see: applied as on arrival."""
    with transaction.atomic():
        locked = PartnerEvent.objects.select_for_update().select_related("partner").get(pk=event.pk)
        if locked.outcome != PartnerEvent.Outcome.UNMATCHED:
            raise PartnerError("This event is on a case already.")
        cases = visible_cases(actor)
        if locked.partner.helpline_id:
            cases = cases.filter(helpline_id=locked.partner.helpline_id)
        case = cases.filter(number=case_number.strip().upper()).first()
        if case is None:
            raise PartnerError("No case with that number that you can see.")
        case = live_case(case)
        _apply(locked, case, outcome=PartnerEvent.Outcome.RECONCILED, actor=actor)
    logger.info("partner_event_reconciled", extra={"event": event.pk, "user_id": actor.pk})
    return case


def reconcile_unmatched() -> int:
    """Apply each unmatched event whose crime reference a case holds now (a feed import or a
    caseworker added the crime number since); returns how many. Called by webhooks.sweep."""
    holders = ExternalReference.objects.filter(kind__code=CRIME_NUMBER, case__isnull=False)
    waiting = PartnerEvent.objects.filter(
        outcome=PartnerEvent.Outcome.UNMATCHED,
        reference_index__in=holders.values("value_index"),
    ).exclude(reference_index="")
    applied = 0
    for pk in waiting.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            event = (
                PartnerEvent.objects.select_for_update(skip_locked=True)
                .select_related("partner")
                .filter(pk=pk, outcome=PartnerEvent.Outcome.UNMATCHED)
                .first()
            )
            if event is None:  # reconciled by hand meanwhile, or being handled
                continue
            cases = Case.objects.all()
            if event.partner.helpline_id:
                cases = cases.filter(helpline_id=event.partner.helpline_id)
            case = case_with_reference(cases, event.reference_index)
            if case is not None:
                _apply(event, case, outcome=PartnerEvent.Outcome.RECONCILED, actor=None)
                applied += 1
    if applied:
        logger.info("partner_events_reconciled", extra={"count": applied})
    return applied


# Who sees which partner ---------------------------------------------------------------------------


def visible_partners(user: AnyUser) -> QuerySet[Partner]:
    """The partners whose events and webhooks this user may read: its helpline's supervisors and
    administrators (feeds.policy); a partner of no helpline, every helpline's."""
    if not can_manage_feeds(user):
        return Partner.objects.none()
    return Partner.objects.filter(Q(helpline_id=user.organisation_id) | Q(helpline=None))


def partner_of(user: AnyUser, slug: str) -> Partner:
    """The partner, if this user may read it; else 404 (whether or not it exists)."""
    return get_object_or_404(visible_partners(user), slug=slug)


def partner_events(user: AnyUser, partner: Partner) -> QuerySet[PartnerEvent]:
    """The partner's events, unmatched first, then newest: only those on no case or on a case
    the user can see."""
    mine = Q(case=None) | Q(case__in=visible_cases(user))
    waiting = Choose(When(outcome=PartnerEvent.Outcome.UNMATCHED, then=Value(0)), default=Value(1))
    return (
        partner.events.filter(mine).select_related("case").order_by(waiting, "-received_at", "-pk")
    )
