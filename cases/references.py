"""What staff add to a person's or a case's record beyond the details: other agencies' reference
numbers (a crime number and its force, a housing reference) on a case or a person, and the ways of
reaching a person, each kept with the dates it held. Every change has a reason in the history.

Who may: on a case, whoever may change its references (cases.policy.changeable_details); on a
person, whoever may change that person on at least one case of theirs they see (the victim's
details, the perpetrators, the reporter). An address is not added here: a move goes through
cases.addresses, which keeps the previous one with its dates.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from cases.flags import bump_version, require_reason
from cases.models import (
    Case,
    CasePerson,
    ContactType,
    ExternalReference,
    Person,
    PersonContact,
    ReferenceType,
)
from cases.moves import lock_case, require
from cases.policy import changeable_details, visible_cases
from cases.workflow import CaseError, NotAllowedError
from project.history import attribute_change
from project.phones import to_e164

# The part of a case's details a person's role falls under (cases.policy.CASE_DETAILS).
PART_OF_ROLE = {
    CasePerson.Role.VICTIM: "victim",
    CasePerson.Role.PERPETRATOR: "perpetrators",
    CasePerson.Role.REPORTER: "reporter",
}
MAX_VALUE = 2000


def may_change_person(user: AbstractBaseUser, person: Person) -> bool:
    """True when the user may change this person on at least one case of theirs they see."""
    links = CasePerson.objects.filter(person=person, case__in=visible_cases(user)).select_related(
        "case"
    )
    return any(
        PART_OF_ROLE[link.role] in changeable_details(user, link.case)
        for link in links
        if link.role in PART_OF_ROLE
    )


def _value(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise CaseError("Enter the value.")
    if len(value) > MAX_VALUE:
        raise CaseError(f"Keep it under {MAX_VALUE} characters.")
    return value


# References ----------------------------------------------------------------------------------


def add_reference(
    *, actor: AbstractBaseUser, kind: ReferenceType, value: str, reason: str,
    issued_by: str = "", case: Case | None = None, person: Person | None = None,
) -> ExternalReference:  # fmt: skip
    """A reference on a case or (exactly one of them) on a person."""
    if (case is None) == (person is None):
        raise CaseError("A reference belongs to a case or to a person.")
    reason = require_reason(reason)
    value = _value(value)
    applies = ReferenceType.Applies
    wanted = applies.CASE if case is not None else applies.PERSON
    if not kind.is_active or kind.applies_to not in (wanted, applies.BOTH):
        raise CaseError(f"A {kind.label} cannot be added to a {wanted}.")
    if len(issued_by) > 120:
        raise CaseError("Keep 'issued by' under 120 characters.")
    with transaction.atomic():
        locked = _lock_for_references(actor, case) if case is not None else None
        if person is not None and not may_change_person(actor, person):
            raise NotAllowedError("You cannot change this person's record.")
        reference = ExternalReference(
            case=locked, person=person, kind=kind, value=value,
            issued_by=issued_by.strip(), added_by=actor,
        )  # fmt: skip
        attribute_change(reference, actor=actor, reason=reason)
        reference.save()
        if locked is not None:
            bump_version(locked, actor, f"{kind.label} added: {reason}")
    return reference


def remove_reference(*, actor: AbstractBaseUser, reference: ExternalReference, reason: str) -> None:
    """Take a reference off (entered wrongly, no longer used); the history keeps it."""
    reason = require_reason(reason)
    with transaction.atomic():
        locked = None
        if reference.case_id is not None:
            locked = _lock_for_references(actor, reference.case)  # type: ignore[arg-type]
        elif not may_change_person(actor, reference.person):  # type: ignore[arg-type]
            raise NotAllowedError("You cannot change this person's record.")
        label = reference.kind.label
        attribute_change(reference, actor=actor, reason=reason)
        reference.delete()
        if locked is not None:
            bump_version(locked, actor, f"{label} removed: {reason}")


def _lock_for_references(actor: AbstractBaseUser, case: Case) -> Case:
    locked = lock_case(case)
    require("references" in changeable_details(actor, locked), locked, "You cannot change it.")
    return locked


# Ways of reaching a person ----------------------------------------------------------------------


def _contact_value(kind: ContactType, value: str) -> str:
    value = _value(value)
    if kind.shape == ContactType.Shape.PHONE:
        phone = to_e164(value)
        if not phone:
            raise CaseError("Enter a phone number, like 07700 900123.")
        return phone
    if kind.shape == ContactType.Shape.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            raise CaseError("Enter an email address, like name@example.com.") from None
    return value


def add_contact(
    *, actor: AbstractBaseUser, person: Person, kind: ContactType, value: str, reason: str,
    valid_from: date | None = None,
) -> PersonContact:  # fmt: skip
    """A new way of reaching the person, current from `valid_from` (today if not given)."""
    reason = require_reason(reason)
    if not kind.is_active:
        raise CaseError(f"{kind.label} is no longer used.")
    if kind.shape == ContactType.Shape.ADDRESS:
        raise CaseError("An address changes with a move (Change details), which keeps the old one.")
    value = _contact_value(kind, value)
    today = timezone.localdate()
    if valid_from and valid_from > today:
        raise CaseError("The date must be today or in the past.")
    with transaction.atomic():
        if not may_change_person(actor, person):
            raise NotAllowedError("You cannot change this person's record.")
        contact = PersonContact(
            person=person, kind=kind, value=value, valid_from=valid_from or today
        )
        attribute_change(contact, actor=actor, reason=reason)
        contact.save()
    return contact


def end_contact(
    *, actor: AbstractBaseUser, contact: PersonContact, reason: str, ended_on: date | None = None
) -> PersonContact:
    """The way of reaching them no longer holds: kept on the record with the day it ended."""
    reason = require_reason(reason)
    ended_on = ended_on or timezone.localdate()
    with transaction.atomic():
        locked = PersonContact.objects.select_for_update().get(pk=contact.pk)
        if not may_change_person(actor, locked.person):
            raise NotAllowedError("You cannot change this person's record.")
        if locked.valid_to is not None:
            raise CaseError("It has already ended.")
        if ended_on > timezone.localdate() or (locked.valid_from and ended_on < locked.valid_from):
            raise CaseError("The end must be between its start and today.")
        locked.valid_to = ended_on
        attribute_change(locked, actor=actor, reason=reason)
        locked.save(update_fields=["valid_to"])
    return locked
