"""Reads of a person, always through the access policy: the person if any case of theirs is
visible to the user with identities (else Http404, never 403), and only those cases. Each look is
written to the access log (action "person", the person's id, never a value)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import F
from django.http import Http404, HttpRequest

from cases.models import AccessLog, CasePerson, ExternalReference, Person, PersonContact
from cases.policy import visible_cases, visible_people

# current contacts first, then the newest: said outright, as databases put NULLs at different ends
CURRENT_FIRST = (
    F("valid_to").desc(nulls_first=True),
    F("valid_from").desc(nulls_last=True),
    "-pk",
)


@dataclass(frozen=True)
class PersonRecord:
    person: Person
    cases: list[CasePerson]  # this user's visible cases of theirs, newest first
    contacts: list[PersonContact]  # current first, then the newest
    references: list[ExternalReference]


def access_person(user: AbstractBaseUser, person_id: int, *, request: HttpRequest) -> Person:
    """The person if the user may see them, else Http404. The read is audited first."""
    person = visible_people(user).select_related("language").filter(pk=person_id).first()
    if person is None:
        raise Http404("No such person.")
    AccessLog.objects.create(
        user=user,
        case=None,
        action=AccessLog.Action.PERSON,
        via="api" if request.path.startswith("/api/") else "web",
        detail=f"person {person.pk}",
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )
    return person


def person_record(user: AbstractBaseUser, person_id: int, *, request: HttpRequest) -> PersonRecord:
    person = access_person(user, person_id, request=request)
    return PersonRecord(
        person=person,
        cases=list(
            CasePerson.objects.filter(person=person, case__in=visible_cases(user))
            .select_related("case", "relationship")
            .order_by("-case__created_at", "pk")
        ),
        contacts=list(person.contacts.select_related("kind").order_by(*CURRENT_FIRST)),
        references=list(person.references.select_related("kind", "added_by")),
    )


def person_of(user: AbstractBaseUser, person_id: int) -> Person:
    """The person to act on if the user may see them (else Http404). Not audited: the write
    leaves history."""
    person = visible_people(user).filter(pk=person_id).first()
    if person is None:
        raise Http404("No such person.")
    return person
