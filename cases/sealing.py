"""Sealed cases and break-glass (SECURITY AC-06): the writes. Who reads a sealed case is the access
policy's (cases.policy.visible_cases); here a supervisor or data-protection officer of the case's
helpline seals it, names people on it or takes them off, and unseals it; someone whose role would
reach it breaks the glass with a reason; a reviewer other than them marks that justified or not.

Every change keeps history rows with who and why; a break-glass is also an access-log row and an
alert to the helpline's reviewers (the case number only, never why)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import staff_with, with_permissions
from cases.models import AccessLog, BreakGlass, Case, CaseSeal
from cases.moves import lock_case
from cases.policy import (
    REFERRAL_STATUSES_GRANTING_ACCESS,
    can_manage_seal,
    may_break_glass,
)
from cases.workflow import CaseError, ConflictError, NotAllowedError
from notifications.staff_alerts import notify_staff
from project.history import attribute_change

security_log = logging.getLogger("lantern.security")

REVIEW_PERMISSION = "privacy.review_access"


def _reason(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise CaseError(message)
    return text


def _require_manager(by: User, case: Case) -> None:
    if not can_manage_seal(by, case):
        raise NotAllowedError("Only a supervisor or data-protection officer of its helpline can.")


def nameable_staff(case: Case) -> QuerySet[User]:
    """Who may be named on the case: active staff whose role reaches it (its helpline's case
    workers and DPOs, and the staff of an organisation it is referred to). Naming anyone else
    would give them nothing."""
    organisations = [case.helpline_id]
    organisations += case.referrals.filter(
        status__in=REFERRAL_STATUSES_GRANTING_ACCESS
    ).values_list("organisation_id", flat=True)
    staff = User.objects.filter(organisation_id__in=organisations, is_active=True)
    return with_permissions(staff, "cases.view_identities").order_by("username")


def _check_nameable(case: Case, users: Iterable[User]) -> list[User]:
    users = list(users)
    allowed = set(
        nameable_staff(case).filter(pk__in=[u.pk for u in users]).values_list("pk", flat=True)
    )
    if any(user.pk not in allowed for user in users):
        raise CaseError("Only staff who work on this case can be named on it.")
    return users


def _add_name(case: Case, user: User, by: User, reason: str) -> CaseSeal | None:
    if CaseSeal.objects.filter(case=case, user=user).exists():
        return None
    row = CaseSeal(case=case, user=user, added_by=by)
    attribute_change(row, actor=by, reason=reason)
    row.save()
    return row


@transaction.atomic
def seal(*, case: Case, named_users: Iterable[User], by: User, reason: str) -> Case:
    """Seal the case: from now on only the people named on it (the sealer always among them) read
    it; anyone else who would must break the glass."""
    _require_manager(by, case)
    reason = _reason(reason, "Say why the case is sealed.")
    named = _check_nameable(case, named_users)
    locked = lock_case(case)
    if locked.sealed:
        raise ConflictError("This case is already sealed.")
    locked.sealed = True
    attribute_change(locked, actor=by, reason=f"Sealed: {reason}")
    locked.save(update_fields=["sealed", "updated_at"])
    for user in {by.pk: by, **{u.pk: u for u in named}}.values():
        _add_name(locked, user, by, f"Named when sealed: {reason}")
    security_log.info("case_sealed", extra={"case_id": locked.pk, "user_id": by.pk})
    return locked


@transaction.atomic
def unseal(*, case: Case, by: User, reason: str) -> Case:
    """Unseal the case: everyone whose role reaches it reads it again. The names are taken off
    (history keeps them), so sealing it again starts from a fresh list."""
    _require_manager(by, case)
    reason = _reason(reason, "Say why the case is unsealed.")
    locked = lock_case(case)
    if not locked.sealed:
        raise ConflictError("This case is not sealed.")
    locked.sealed = False
    attribute_change(locked, actor=by, reason=f"Unsealed: {reason}")
    locked.save(update_fields=["sealed", "updated_at"])
    for row in CaseSeal.objects.filter(case=locked):
        attribute_change(row, actor=by, reason=f"Unsealed: {reason}")
        row.delete()
    security_log.info("case_unsealed", extra={"case_id": locked.pk, "user_id": by.pk})
    return locked


@transaction.atomic
def name(*, case: Case, user: User, by: User, reason: str) -> CaseSeal | None:
    """Name one more person on a sealed case (None if they already were)."""
    _require_manager(by, case)
    reason = _reason(reason, "Say why they are named on it.")
    locked = lock_case(case)
    if not locked.sealed:
        raise ConflictError("This case is not sealed.")
    _check_nameable(locked, [user])
    return _add_name(locked, user, by, f"Named: {reason}")


@transaction.atomic
def unname(*, case: Case, user: User, by: User, reason: str) -> None:
    """Take a person off a sealed case; the last one cannot be (unseal it instead)."""
    _require_manager(by, case)
    reason = _reason(reason, "Say why they are taken off it.")
    locked = lock_case(case)
    names = CaseSeal.objects.filter(case=locked)
    row = names.filter(user=user).first()
    if row is None:
        raise ConflictError("They are not named on this case.")
    if names.count() == 1:
        raise ConflictError("A sealed case needs someone named on it: unseal it instead.")
    attribute_change(row, actor=by, reason=f"Taken off: {reason}")
    row.delete()


@transaction.atomic
def break_glass(
    *, case: Case, user: User, reason: str, via: str = "web", ip_address: str | None = None
) -> BreakGlass:
    """Let someone whose role reaches a sealed case read it for BREAK_GLASS_MINUTES, for the reason
    they gave: an access-log row, and an alert to the helpline's supervisors and DPOs, whose
    review queue it joins."""
    if not may_break_glass(user, case):
        raise NotAllowedError("You cannot open this case.")
    reason = _reason(reason, "Say why you need to open this case.")
    now = timezone.now()
    grant = BreakGlass(
        case=case,
        user=user,
        reason=reason,
        at=now,
        expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
    )
    attribute_change(grant, actor=user, reason="Broke the glass")
    grant.save()
    AccessLog.objects.create(
        user=user,
        case=case,
        action=AccessLog.Action.BREAK_GLASS,
        detail=f"grant {grant.pk}",
        via=via,
        ip_address=ip_address,
    )
    reviewers = staff_with(case.helpline_id, REVIEW_PERMISSION).exclude(pk=user.pk)
    # No case link: the reviewers may not be named on it; they review it under Data protection.
    notify_staff(
        users=reviewers,
        kind="case.break_glass",
        case_number="",
        text=f"Sealed case {case.number} was opened by break-glass: review it",
    )
    security_log.warning(
        "break_glass", extra={"case_id": case.pk, "user_id": user.pk, "grant_id": grant.pk}
    )
    return grant


def may_review(by: User, grant: BreakGlass) -> bool:
    """A supervisor or DPO of the case's helpline, never the person who broke the glass."""
    return grant.user_id != by.pk and can_manage_seal(by, grant.case)


def pending_reviews(by: User) -> QuerySet[BreakGlass]:
    """The break-glass grants of the reviewer's helpline waiting for review, oldest first, without
    their own."""
    if not by.has_perm(REVIEW_PERMISSION) or by.organisation_id is None:
        return BreakGlass.objects.none()
    return (
        BreakGlass.objects.filter(
            case__helpline_id=by.organisation_id, outcome=BreakGlass.Outcome.PENDING
        )
        .exclude(user=by)
        .select_related("case", "user")
        .order_by("at", "pk")
    )


@transaction.atomic
def review(*, grant: BreakGlass, outcome: str, note: str, by: User) -> BreakGlass:
    """Mark a break-glass justified or not, with a note (required when not justified)."""
    if not may_review(by, grant):
        raise NotAllowedError("You cannot review this break-glass.")
    if outcome not in (BreakGlass.Outcome.JUSTIFIED, BreakGlass.Outcome.NOT_JUSTIFIED):
        raise CaseError("Say whether it was justified.")
    note = (note or "").strip()
    if outcome == BreakGlass.Outcome.NOT_JUSTIFIED and not note:
        raise CaseError("Say why it was not justified.")
    locked = BreakGlass.objects.select_for_update().get(pk=grant.pk)
    if locked.outcome != BreakGlass.Outcome.PENDING:
        raise ConflictError("This break-glass has already been reviewed.")
    locked.outcome = outcome
    locked.review_note = note
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    attribute_change(locked, actor=by, reason=f"Reviewed: {locked.get_outcome_display()}")
    locked.save(update_fields=["outcome", "review_note", "reviewed_by", "reviewed_at"])
    return locked


def is_named(user: User, case: Case) -> bool:
    return CaseSeal.objects.filter(case=case, user=user).exists()


def sealed_case_for_break_glass(user: User, number: str) -> Case | None:
    """The sealed case with this number if the user may break the glass on it, else None (the
    page answers 404 then, as for a case that does not exist)."""
    case = Case.objects.filter(number=number, sealed=True).first()
    if case is None or not may_break_glass(user, case):
        return None
    return case
