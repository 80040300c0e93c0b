"""Restricted processing (UK GDPR art. 18, SECURITY DP-09): a person who asked to be erased but is
exempt (a legal claim) is kept, flagged `processing_restricted`, and left out of everyday views:
their details are shown to the data-protection officer only; everyone else sees that the person
is restricted. The person page, people search and the API ask cases.policy.shows_person_details."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from cases.models import Person
from project.history import attribute_change


def restrict_processing(*, person: Person, actor: AbstractBaseUser | None) -> None:
    """Flag the (locked) person restricted; must be called inside the deciding transaction."""
    person.processing_restricted = True
    attribute_change(person, actor=actor, reason="Processing restricted: exempt from erasure")
    person.save(update_fields=["processing_restricted"])
