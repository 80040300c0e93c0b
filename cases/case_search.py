"""The case list's search by the people on a case (issue 12 item 4), on cases.people_search's
building blocks: which cases what was typed finds (cases.selectors._search) and, for the rows of
a page, why each was found, in words."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q

from cases.models import Case, CasePerson, ExternalReference, Person, Report
from cases.people_search import (
    detail_indexes,
    identifier_matches,
    name_scores,
    query_words,
    word_reasons,
)
from cases.policy import can_see_identities, visible_people
from project.crypto import blind_indexes
from project.phones import to_e164

# The case list's search (cases.selectors) takes at most this many people matching every word of
# a name: a query that matches more says too little to list their cases usefully.
CASE_SEARCH_PEOPLE = 1000


def cases_matching(user: AbstractBaseUser, q: str) -> Q:
    """Cases (for `Case.objects.filter`) on which what was typed finds someone this user may see:
    a person every word of the name matches (exactly or by sound), or the person's phone number,
    a contact detail or a reference; and cases whose own reference is what was typed."""
    people = visible_people(user)
    matched = [
        match.person_id
        for match in name_scores(people, query_words(q), all_words=True, limit=CASE_SEARCH_PEOPLE)
    ]
    matched += identifier_matches(user, q)
    return Q(people__person__in=matched) | Q(references__value_index__in=detail_indexes(q))


def case_match_reasons(user: AbstractBaseUser, cases: Iterable[Case], q: str) -> None:
    """Sets `matched` on each of `cases` (a page of a case search): why it was found, in words
    ('victim: name sounds like "jon"', 'crime number matches'). For the page's rows only."""
    cases = list(cases)
    reasons: dict[int, list[str]] = {case.pk: [] for case in cases}
    term = q.strip()
    for case in cases:
        if case.number.lower() == term.lower():
            reasons[case.pk].append("case number matches")
    if can_see_identities(user):
        _identity_reasons(user, reasons, q)
    for case in cases:
        case.matched = list(dict.fromkeys(reasons[case.pk]))


def _identity_reasons(user: AbstractBaseUser, reasons: dict[int, list[str]], q: str) -> None:
    links = list(
        CasePerson.objects.filter(case__in=reasons, person__in=visible_people(user)).values_list(
            "case", "person", "role"
        )
    )
    found = identifier_matches(user, q, case_references=False)  # the case's own: below
    query = query_words(q)
    people = Person.objects.filter(pk__in={person for _, person, _ in links})
    for match in name_scores(people, query, all_words=True, limit=len(links) or 1):
        found.setdefault(match.person_id, []).extend(word_reasons(query, match.per_word))
    for case_id, person_id, role in links:
        for reason in found.get(person_id, ()):
            reasons[case_id].append(f"{CasePerson.Role(role).label.lower()}: {reason}")
    details = detail_indexes(q)
    for case_id, kind in ExternalReference.objects.filter(
        case__in=reasons, value_index__in=details
    ).values_list("case", "kind__label"):
        reasons[case_id].append(f"{kind.lower()} matches")
    if phone := to_e164(q.strip()):
        for case_id in Report.objects.filter(
            case__in=reasons, sender_index__in=blind_indexes(phone)
        ).values_list("case", flat=True):
            reasons[case_id].append("the sender's phone number matches")
