"""A case's flags and further categories, and the version every change to a case's details counts.

`set_flags` and `set_categories` are whole changes: they lock the case, write history with the
reason, bump the version once and tell the console after commit. `apply_flags` and
`apply_categories` do the same work on a case the caller has already locked, for a larger change
(cases.changes, a risk assessment) that bumps the version once itself. Who may change them is the
caller's to check (cases.policy.changeable_details, can_assess_risk); archived and merged cases are
refused here as everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from cases.models import Case, CaseCategory, CaseFlag, Category, Flag
from cases.moves import case_summary, lock_case
from cases.workflow import CaseError, ReadOnlyError
from notifications import realtime
from project.history import attribute_change


class UnknownCodeError(CaseError):
    """Codes that name no active entry of a list (400, the codes under the list's name)."""

    def __init__(self, field: str, codes: Iterable[str]) -> None:
        self.field, self.codes = field, sorted(codes)
        super().__init__(f"Unknown {field}: {', '.join(self.codes)}.")

    @property
    def details(self) -> dict[str, object]:
        return {self.field: [f"Unknown code: {code}." for code in self.codes]}


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("Say why you change it.")
    return reason


def bump_version(
    locked: Case, actor: AbstractBaseUser | None, reason: str, fields: Iterable[str] = ()
) -> Case:
    """Count one more change to the case's details (on a case locked by the caller), saved with
    the case's own `fields` the caller changed (one history row), and tell the console after
    commit. A writer that read an older version is refused (cases.changes)."""
    locked.version += 1
    attribute_change(locked, actor=actor, reason=reason)
    locked.save(update_fields=[*fields, "version", "updated_at"])
    realtime.broadcast_case_event(
        locked.helpline_id, realtime.CaseEvent(type="case.updated", case=case_summary(locked))
    )
    return locked


def _active(model: type[Flag] | type[Category], field: str, codes: set[str]) -> dict[str, Any]:
    found = {entry.code: entry for entry in model.objects.filter(code__in=codes, is_active=True)}
    if unknown := codes - found.keys():
        raise UnknownCodeError(field, unknown)
    return found


def apply_flags(
    locked: Case, *, actor: AbstractBaseUser | None, add: Iterable[str] = (),
    remove: Iterable[str] = (), reason: str,
) -> bool:  # fmt: skip
    """Set and clear flags by code on a locked case, a history row for each with the reason.
    A flag already set (or already clear) is left alone. True when something changed."""
    add, remove = set(add), set(remove)
    if both := add & remove:
        raise CaseError(f"A flag cannot be both set and cleared: {', '.join(sorted(both))}.")
    # clearing a flag that has since been retired is allowed; setting one is not
    flags = _active(Flag, "flags", add)
    if unknown := remove - set(Flag.objects.filter(code__in=remove).values_list("code", flat=True)):
        raise UnknownCodeError("flags", unknown)
    have = {link.flag.code: link for link in locked.flag_links.select_related("flag")}
    changed = False
    for code in sorted(add - have.keys()):
        link = CaseFlag(case=locked, flag=flags[code], set_by=actor)  # type: ignore[misc]
        attribute_change(link, actor=actor, reason=reason)
        link.save()
        changed = True
    for code in sorted(remove & have.keys()):
        attribute_change(have[code], actor=actor, reason=reason)
        have[code].delete()
        changed = True
    return changed


def apply_categories(
    locked: Case, *, actor: AbstractBaseUser | None, codes: Iterable[str], reason: str
) -> bool:
    """Make the case's further categories exactly `codes` (the primary, Case.category, is not one
    of them and is dropped from the list). True when something changed."""
    wanted = set(codes)
    if locked.category_id is not None:
        wanted.discard(locked.category.code)
    categories = _active(Category, "categories", wanted)
    have = {link.category.code: link for link in locked.other_categories.select_related("category")}
    changed = False
    for code in sorted(wanted - have.keys()):
        link = CaseCategory(case=locked, category=categories[code])  # type: ignore[misc]
        attribute_change(link, actor=actor, reason=reason)
        link.save()
        changed = True
    for code in sorted(have.keys() - wanted):
        attribute_change(have[code], actor=actor, reason=reason)
        have[code].delete()
        changed = True
    return changed


def _checked(case: Case, reason: str) -> tuple[Case, str]:
    reason = require_reason(reason)
    locked = lock_case(case)
    if locked.is_read_only:
        raise ReadOnlyError(locked.number, locked.status)
    return locked, reason


@transaction.atomic
def set_flags(
    *, case: Case, actor: AbstractBaseUser | None, add: Iterable[str] = (),
    remove: Iterable[str] = (), reason: str,
) -> Case:  # fmt: skip
    """Set and clear a case's flags (codes of active flags) as one change to its details."""
    locked, reason = _checked(case, reason)
    if apply_flags(locked, actor=actor, add=add, remove=remove, reason=reason):
        bump_version(locked, actor, reason)
    return locked


@transaction.atomic
def set_categories(
    *, case: Case, actor: AbstractBaseUser | None, codes: Iterable[str], reason: str
) -> Case:
    """Make a case's further categories exactly `codes`, as one change to its details."""
    locked, reason = _checked(case, reason)
    if apply_categories(locked, actor=actor, codes=codes, reason=reason):
        bump_version(locked, actor, reason)
    return locked
