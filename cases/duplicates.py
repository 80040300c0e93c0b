"""Cases that are likely about the same victim or name the same perpetrator as this one ("Possibly
the same person" on the case page and while verifying; GET /api/v1/cases/{n}/duplicates/).

Found through blind indexes and keyed name tokens only (cases.known_people), among the cases the
user may see, never this one or a merged one: the victim's phone (also as a report's sender), the
victim's name (every word the same or sounding the same) with the ages, an address the victim has
or had, a reference number another agency gave the case or its people, and a perpetrator named on
both. Each comes with its reasons in words and a score to rank by. A dozen queries and a few per
name on this case (cases.known_people), however many people the other cases hold; nothing of
another case is decrypted but its number."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q

from cases.known_people import Likeness, PersonMatch, find_matches
from cases.models import Case, CasePerson, ContactType, ExternalReference, PersonContact, Report
from cases.models.people import value_index
from cases.policy import can_see_identities, visible_cases

LIMIT = 10
VICTIM, PERPETRATOR = CasePerson.Role.VICTIM, CasePerson.Role.PERPETRATOR
SCORES = {"sender": 80, "address": 50, "reference": 80}
# a perpetrator on both counts for less than the victim: one person harms several
PERPETRATOR_SHARE = 0.5


@dataclass(frozen=True)
class Duplicate:
    case: Case
    reasons: tuple[str, ...]
    score: int


def _ages(match: PersonMatch) -> str:
    mine, theirs = match.ages
    if mine is None or theirs is None:
        return "age not known on one of them"
    return f"age {mine}" if mine == theirs else f"age {mine} vs {theirs}"


def _victim_reason(match: PersonMatch) -> str:
    if match.likeness == Likeness.SAME_RECORD:
        return "the same victim"
    if match.likeness == Likeness.PHONE:
        return "same phone number as the victim"
    how = "is the same" if match.likeness == Likeness.NAME else "sounds the same"
    return f"victim's name {how}, {_ages(match)}"


class _Found:
    """Reasons and scores gathered per other case."""

    def __init__(self) -> None:
        self.reasons: dict[int, dict[str, int]] = defaultdict(dict)

    def add(self, case_ids: Iterable[int], reason: str, score: int) -> None:
        for case_id in case_ids:
            held = self.reasons[case_id]
            held[reason] = max(held.get(reason, 0), score)


def _people(case: Case, found: _Found, candidates: object) -> None:
    links = list(
        CasePerson.objects.filter(case=case, role__in=(VICTIM, PERPETRATOR)).select_related(
            "person"
        )
    )
    role_of = {(link.person_id, link.role) for link in links}
    people = list({link.person_id: link.person for link in links}.values())
    others = CasePerson.objects.filter(case__in=candidates, role__in=(VICTIM, PERPETRATOR))
    for match in find_matches(people, others):
        if (match.person_id, match.role) not in role_of:
            continue  # a victim here named as a perpetrator there is not this kind of likeness
        if match.role == VICTIM:
            found.add([match.case_id], _victim_reason(match), match.score)
        else:
            found.add(
                [match.case_id],
                "perpetrator named on this case too",
                int(match.score * PERPETRATOR_SHARE),
            )
    victims = [link.person for link in links if link.role == VICTIM]
    _phones(case, victims, found, candidates)
    _addresses(victims, found, candidates)
    _references(case, [person.pk for person in people], found, candidates)


def _phones(case: Case, victims: list, found: _Found, candidates: object) -> None:
    """A report sent from the victim's phone, or from the phone this case's reports came from."""
    phones = {person.phone_index for person in victims if person.phone_index}
    phones |= set(
        Report.objects.filter(case=case)
        .exclude(sender_index="")
        .values_list("sender_index", flat=True)
    )
    if not phones:
        return
    senders = Report.objects.filter(case__in=candidates, sender_index__in=phones)
    found.add(
        senders.values_list("case_id", flat=True),
        "a report from the same phone number",
        SCORES["sender"],
    )
    victims_there = CasePerson.objects.filter(
        case__in=candidates, role=VICTIM, person__phone_index__in=phones
    )
    found.add(
        victims_there.values_list("case_id", flat=True),
        "same phone number as the victim",
        SCORES["sender"],
    )


def _addresses(victims: list, found: _Found, candidates: object) -> None:
    """An address the victim has or had, against the addresses (current or past) of the victims
    of the other cases, by the blind index of the normalised address."""
    mine = {value_index(person.address) for person in victims if person.address}
    mine |= set(
        PersonContact.objects.filter(
            person__in=victims, kind__shape=ContactType.Shape.ADDRESS
        ).values_list("value_index", flat=True)
    )
    mine.discard("")
    if not mine:
        return
    there = PersonContact.objects.filter(
        value_index__in=mine,
        kind__shape=ContactType.Shape.ADDRESS,
        person__cases__role=VICTIM,
        person__cases__case__in=candidates,
    ).values_list("person__cases__case_id", flat=True)
    found.add(there, "same address as the victim", SCORES["address"])


def _references(case: Case, person_ids: list[int], found: _Found, candidates: object) -> None:
    """The same reference of the same kind (a crime number) on the cases or on their people."""
    mine = set(
        ExternalReference.objects.filter(Q(case=case) | Q(person_id__in=person_ids)).values_list(
            "kind_id", "value_index"
        )
    )
    if not mine:
        return
    rows = (
        ExternalReference.objects.filter(value_index__in={index for _, index in mine})
        .filter(Q(case__in=candidates) | Q(person__cases__case__in=candidates))
        .values_list("kind_id", "value_index", "kind__label", "case_id", "person__cases__case_id")
    )
    for kind_id, index, label, on_case, via_person in rows:
        if (kind_id, index) in mine:
            found.add(
                [on_case or via_person], f"same {label[:1].lower()}{label[1:]}", SCORES["reference"]
            )


def likely_duplicates(user: AbstractBaseUser, case: Case) -> list[Duplicate]:
    """The cases the user may see that are likely about the same people as `case`, best first.
    Empty for those who may not see who is in a case (the API answers them 404)."""
    if not can_see_identities(user):
        return []
    candidates = (
        visible_cases(user).exclude(pk=case.pk).exclude(status=Case.Status.MERGED).values("pk")
    )
    found = _Found()
    _people(case, found, candidates)
    found.reasons.pop(None, None)  # type: ignore[call-overload]
    if not found.reasons:
        return []
    cases = Case.objects.filter(pk__in=list(found.reasons)).only(
        "number", "status", "created_at", "helpline_id"
    )
    duplicates = [
        Duplicate(
            case=other,
            reasons=tuple(
                sorted(found.reasons[other.pk], key=found.reasons[other.pk].get, reverse=True)
            ),
            score=sum(found.reasons[other.pk].values()),
        )
        for other in cases
    ]
    duplicates.sort(key=lambda d: (-d.score, -d.case.created_at.timestamp()))
    return duplicates[:LIMIT]
