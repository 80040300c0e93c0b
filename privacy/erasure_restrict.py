"""Restricted processing (UK GDPR art. 18, SECURITY DP-09): a person who asked to be erased but is
exempt (a legal claim) is kept, flagged `processing_restricted`, and left out of everyday views:
their details are shown to the data-protection officer only; everyone else sees that the person
is restricted. The person page and people search ask `shows_details` (see /work/notes)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from cases.models import Person
from project.history import attribute_change

# Whoever decides erasures may see a restricted person's details: they handle the legal claim.
SEES_RESTRICTED = "privacy.manage_erasure"


def restrict_processing(*, person: Person, actor: AbstractBaseUser | None) -> None:
    """Flag the (locked) person restricted; must be called inside the deciding transaction."""
    person.processing_restricted = True
    attribute_change(person, actor=actor, reason="Processing restricted: exempt from erasure")
    person.save(update_fields=["processing_restricted"])


def shows_details(user: AbstractBaseUser, person: Person) -> bool:
    """Whether `user` may see what identifies `person` (name, contact details, references)."""
    return not person.processing_restricted or user.has_perm(SEES_RESTRICTED)
