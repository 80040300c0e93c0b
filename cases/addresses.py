"""A person's address over time: moving them closes the current address row (PersonContact of kind
"address") on the day they moved and opens the new one, so previous addresses stay on the record
with their dates, not only in the history tables. Person.address is always the current one."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from cases.models import ContactType, Person, PersonContact
from project.history import attribute_change

ADDRESS = "address"


def current_address(person: Person) -> PersonContact | None:
    return (
        PersonContact.objects.filter(person=person, kind__code=ADDRESS, valid_to__isnull=True)
        .order_by("-valid_from", "-pk")
        .first()
    )


def _open(person: Person, value: str, since: date | None, actor: AbstractBaseUser | None,
          reason: str) -> PersonContact:  # fmt: skip
    row = PersonContact(
        person=person, kind=ContactType.objects.get(code=ADDRESS), value=value, valid_from=since
    )
    attribute_change(row, actor=actor, reason=reason)
    row.save()
    return row


@transaction.atomic
def move_address(
    person: Person, new: str, actor: AbstractBaseUser | None, reason: str,
    moved_on: date | None = None,
) -> Person:  # fmt: skip
    """Record that `person` now lives at `new` (blank: no known address) since `moved_on` (today
    by default) when they had one: it is closed on that day; one known only as Person.address
    (recorded before addresses had dates) first gets its own row, so it is not lost."""
    new = new.strip()
    if new == person.address:
        return person
    current = current_address(person)
    if current is None and person.address:
        current = _open(person, person.address, None, actor, reason)
    if current is not None:
        moved_on = moved_on or timezone.localdate()
        current.valid_to = moved_on
        attribute_change(current, actor=actor, reason=reason)
        current.save(update_fields=["valid_to"])
    if new:
        # a first address known is held since `moved_on` when it was said, else since unknown
        _open(person, new, moved_on, actor, reason)
    person.address = new
    attribute_change(person, actor=actor, reason=reason)
    person.save(update_fields=["address"])
    return person
