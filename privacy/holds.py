"""Legal holds (SECURITY DP-08): while a hold is on, retention removes nothing of its case, or of
any case of its person. Placing and lifting one needs privacy.manage_retention and a reason; both
leave history with who and why."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from cases.models import Case, Person
from cases.workflow import CaseError, NotAllowedError
from privacy.models import LegalHold
from project.history import attribute_change

PERMISSION = "privacy.manage_retention"


class HoldError(CaseError):
    """A hold that cannot be placed or lifted as asked (said in words for the form)."""


def _require(actor: AbstractBaseUser) -> None:
    if not actor.has_perm(PERMISSION):
        raise NotAllowedError("Only supervisors and data-protection officers manage legal holds.")


def _reason(reason: str) -> str:
    if not reason.strip():
        raise HoldError("Say why.")
    return reason.strip()


@transaction.atomic
def place_hold(
    *,
    actor: AbstractBaseUser,
    reason: str,
    case: Case | None = None,
    person: Person | None = None,
) -> LegalHold:
    """Put a case or a person on hold; a second hold on the same one is refused."""
    _require(actor)
    if (case is None) == (person is None):
        raise HoldError("A hold is on one case or one person.")
    on = {"case": case} if case is not None else {"person": person}
    if LegalHold.objects.select_for_update().filter(lifted_at__isnull=True, **on).exists():
        raise HoldError("It is already on legal hold.")
    hold = LegalHold(placed_by=actor, reason=_reason(reason), **on)
    attribute_change(hold, actor=actor, reason="Legal hold placed")
    hold.save()
    return hold


@transaction.atomic
def lift_hold(*, hold: LegalHold, actor: AbstractBaseUser, reason: str) -> LegalHold:
    """Lift a hold: retention counts again from the usual dates (what is past them goes in the
    next sweep). Why is added to the hold's (encrypted) reason, not to the plain history reason."""
    _require(actor)
    locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if locked.lifted_at is not None:
        raise HoldError("This hold was already lifted.")
    locked.reason = f"{locked.reason}\n\nLifted: {_reason(reason)}"
    locked.lifted_at, locked.lifted_by = timezone.now(), actor
    attribute_change(locked, actor=actor, reason="Legal hold lifted")
    locked.save(update_fields=["reason", "lifted_at", "lifted_by"])
    return locked
