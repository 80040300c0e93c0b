"""Finding people without exposing them (issue 12 item 4): by a name spelt another way, a phone
number or a reference number, among the people a user may see, each result with why it matched.

Names, phones and references are stored only encrypted; what is searched is their keyed blind
indexes. A name's words are matched through their PersonToken rows (cases.tokens): a query word
matches a person when its exact token or one of its sound tokens (Double Metaphone) is among the
person's. What was typed is tokenised in memory and never stored or logged.

The building blocks are public for the case list search (cases.case_search) and duplicate
suggestions: `query_words`, `name_scores` (per person, which query words matched and how, best
first, in a few indexed queries however many people there are), `identifier_matches` (phone,
contact detail and reference look-ups), `detail_indexes` and `word_reasons`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from cases.models import (
    CasePerson,
    ExternalReference,
    Person,
    PersonContact,
    PersonToken,
)
from cases.models.people import value_index
from cases.policy import visible_cases, visible_people
from cases.tokens import WordTokens, word_tokens, words
from project.crypto import blind_indexes
from project.phones import to_e164

MAX_WORDS = 6  # words after the sixth are ignored: nobody's name is longer, and each costs a column
# A word's score in a person's ranking: a sound match scores SOUND, an exact one SOUND + 1. SOUND is
# larger than the most exact matches a query can have, so more words matched always ranks first,
# then more of them exact.
SOUND = MAX_WORDS + 1
EXACT = SOUND + 1
# A phone number or reference that matches outranks any name.
IDENTIFIER = EXACT * MAX_WORDS + 1
# name_scores ranks the best `limit` × FIRST_CANDIDATES first, then (rarely) every candidate
FIRST_CANDIDATES = 50
ALL_CANDIDATES = 100_000_000
# a word shared by more people than this brings no candidates when a rarer word was typed
COMMON = 2000
# phone numbers, references, addresses and email addresses have a digit or an @; names do not
_LOOKS_LIKE_AN_IDENTIFIER = re.compile(r"[0-9@]")


@dataclass(frozen=True)
class PersonMatch:
    person: Person
    score: int
    reasons: tuple[str, ...]  # in words, e.g. 'name sounds like "jon"'; never the stored value


@dataclass(frozen=True)
class NameScore:
    person_id: int
    score: int  # the sum of the words' scores (SOUND or EXACT each)
    per_word: tuple[int, ...]  # each query word's score for this person: 0, SOUND or EXACT

    @property
    def words_matched(self) -> int:
        return sum(1 for score in self.per_word if score)


def query_words(q: str) -> list[WordTokens]:
    """The tokens of what was typed, word by word (at most MAX_WORDS words)."""
    return [word_tokens(word) for word in words(q)[:MAX_WORDS]]


def name_scores(
    people: QuerySet[Person],
    query: list[WordTokens],
    *,
    all_words: bool = False,
    limit: int = 20,
) -> list[NameScore]:
    """Per person among `people` whose name shares a token with the query, how each query word
    matched; best first (more words matched, then more of them exactly, then the oldest person).
    `all_words` keeps only people every word matched.

    Through the (token, person) index, in two to four SQL queries however many people there are.
    The candidates are the people with a token of the query's rarer words: a word more than
    COMMON people share ("maria") is scored for every candidate but makes no one a candidate by
    itself when a rarer word was typed (it would bring tens of thousands of people who share only
    that word, ranked by nothing but their age); with `all_words` the rarest word brings them.
    Each candidate is scored word by word (`_rank_by_look_ups`). When every word is that common,
    the people every word matches exactly come first (`_every_word_exact`), else every token's
    entries are ranked at once (`_rank_by_aggregate`).

    Either way candidates are ranked first and only then checked against `people` (pass the
    policy's queryset, e.g. visible_people), best first, until `limit` are found: asking the
    policy about every candidate would cost more than all the rest. The LIMIT inside (the best
    `limit` × FIRST_CANDIDATES) keeps the planner from moving the policy's test under the
    ranking; when too few of those are visible, the ranking runs again over every candidate."""
    if not query:
        return []
    try:
        people_sql, people_params = people.values("pk").query.sql_with_params()
    except EmptyResultSet:  # nobody to look among (Person.objects.none(), pk__in=[])
        return []
    tokens = [list(dict.fromkeys((word.exact, *word.sounds))) for word in query]
    postings = _postings(tokens)
    rarest = min(range(len(query)), key=lambda i: len(postings[i]))
    rare = [i for i, ids in enumerate(postings) if 0 < len(ids) <= COMMON]
    drivers = ([rarest] if rarest in rare else []) if all_words else rare
    visible = (people_sql, tuple(people_params))
    if drivers:
        candidates = sorted({pk for i in drivers for pk in postings[i]})
        return _rank_by_look_ups(query, tokens, candidates, visible, all_words, limit)
    exact = _every_word_exact(query, *visible, limit)
    if len(exact) == limit:
        return exact
    return _rank_by_aggregate(query, visible, all_words, limit)


def _ranked(sql: str, params: Callable[[int], list[Any]], limit: int) -> list[tuple[int, ...]]:
    """The rows of a ranking `sql` fenced at the best `limit` × FIRST_CANDIDATES, or at every
    candidate when too few of those are visible."""
    rows: list[tuple[int, ...]] = []
    for fence in (limit * FIRST_CANDIDATES, ALL_CANDIDATES):
        with connection.cursor() as cursor:
            cursor.execute(sql, params(fence))
            rows = cursor.fetchall()
        if len(rows) == limit:
            break
    return rows


def _rank_by_look_ups(
    query: list[WordTokens],
    tokens: list[list[str]],
    candidates: list[int],
    visible: tuple[str, tuple],
    all_words: bool,
    limit: int,
) -> list[NameScore]:
    """The candidates scored word by word, each word an index look-up per candidate."""
    table = PersonToken._meta.db_table

    def marks(items: list[str]) -> str:
        return ", ".join(["%s"] * len(items))

    per_word = ", ".join(
        f"(SELECT MAX(CASE WHEN t.token = %s THEN {EXACT} ELSE {SOUND} END) FROM {table} t "  # noqa: S608
        f"WHERE t.person_id = c.id AND t.token IN ({marks(word_tokens)})) AS w{i}"  # noqa: S608
        for i, word_tokens in enumerate(tokens)
    )
    score = " + ".join(f"COALESCE(w{i}, 0)" for i in range(len(query)))
    columns = ", ".join(f"COALESCE(w{i}, 0)" for i in range(len(query)))
    sql = f"""
        SELECT ranked.* FROM (
            SELECT person, {score} AS score, {columns} FROM (
                SELECT c.id AS person, {per_word} FROM {Person._meta.db_table} c
                WHERE c.id IN ({marks(candidates)})
            ) scored
            WHERE {score} >= %s ORDER BY 2 DESC, 1 LIMIT %s
        ) ranked
        WHERE ranked.person IN ({visible[0]})
        ORDER BY ranked.score DESC, ranked.person LIMIT %s
    """  # noqa: S608 - only placeholders and names made here; every value is a parameter
    words_params = [
        value for word, word_tokens in zip(query, tokens, strict=True)
        for value in (word.exact, *word_tokens)
    ]  # fmt: skip
    least = SOUND * len(query) if all_words else 1
    rows = _ranked(
        sql, lambda fence: [*words_params, *candidates, least, fence, *visible[1], limit], limit
    )
    return [
        NameScore(person_id=person_id, score=total, per_word=tuple(per))
        for person_id, total, *per in rows
    ]


def _rank_by_aggregate(
    query: list[WordTokens], visible: tuple[str, tuple], all_words: bool, limit: int
) -> list[NameScore]:
    """Every token's entries ranked at once. Each row carries a bit per query word and kind
    (sound: bit 2i, exact: bit 2i+1); a person's bits OR-ed together say how each word matched,
    in one aggregate per person (a word matched scores SOUND, one more if exactly: (bits + 2) / 3
    is 1 for any of 1, 2, 3)."""
    people_sql, people_params = visible
    wanted = [
        (token, (2 if token == word.exact else 1) << (2 * i))
        for i, word in enumerate(query)
        for token in dict.fromkeys((word.exact, *word.sounds))
    ]
    score = " + ".join(
        f"(((mask >> {2 * i}) & 3) + 2) / 3 * {SOUND} + ((mask >> {2 * i + 1}) & 1)"
        for i in range(len(query))
    )
    # the bits are distinct powers of two, so their distinct sum is their OR where BIT_OR is not
    mask = "BIT_OR(q.bits)" if connection.vendor == "postgresql" else "SUM(DISTINCT q.bits)"
    sql = f"""
        WITH q (token, bits) AS (VALUES {", ".join(["(%s, %s)"] * len(wanted))}),
        matched AS (
            SELECT t.person_id AS person, {mask} AS mask
            FROM {PersonToken._meta.db_table} t JOIN q ON q.token = t.token
            WHERE t.token IN ({", ".join(["%s"] * len(wanted))})
            GROUP BY t.person_id
        )
        SELECT ranked.person, ranked.score, ranked.mask FROM (
            SELECT person, mask, {score} AS score FROM matched
            WHERE {score} >= %s ORDER BY score DESC, person LIMIT %s
        ) ranked
        WHERE ranked.person IN ({people_sql})
        ORDER BY ranked.score DESC, ranked.person LIMIT %s
    """  # noqa: S608 - only placeholders and names made here; every value is a parameter
    least = SOUND * len(query) if all_words else 1
    values = [value for row in wanted for value in row]
    rows = _ranked(
        sql,
        lambda fence: [*values, *(t for t, _ in wanted), least, fence, *people_params, limit],
        limit,
    )
    return [
        NameScore(
            person_id=person_id,
            score=total,
            per_word=tuple(
                EXACT if bits >> (2 * i + 1) & 1 else SOUND if bits >> (2 * i) & 1 else 0
                for i in range(len(query))
            ),
        )
        for person_id, total, bits in rows
    ]


def _postings(tokens: list[list[str]]) -> list[list[int]]:
    """Per word, the people its tokens' index entries name: the first COMMON + 1 entries at most
    (one query; more than COMMON means the word is common)."""
    table = PersonToken._meta.db_table
    each = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {i} AS word, person_id FROM {table} "  # noqa: S608
        f"WHERE token IN ({', '.join(['%s'] * len(word))}) LIMIT %s) w{i}"
        for i, word in enumerate(tokens)
    )
    found: list[list[int]] = [[] for _ in tokens]
    with connection.cursor() as cursor:
        cursor.execute(each, [value for word in tokens for value in (*word, COMMON + 1)])
        for word, person_id in cursor.fetchall():
            found[word].append(person_id)
    return found


def _every_word_exact(
    query: list[WordTokens], people_sql: str, people_params: tuple, limit: int
) -> list[NameScore]:
    """The best of the ranking, when there are `limit` of them: the people every word matches
    exactly, oldest first. Each word's index entries come in person order, so PostgreSQL merges
    them and asks the policy only of the first few; for a common name that is a small part of
    the ranking's cost."""
    joins = " ".join(
        f"JOIN {PersonToken._meta.db_table} t{i} ON t{i}.person_id = t0.person_id AND t{i}.token = %s"
        for i in range(1, len(query))
    )
    sql = f"""
        SELECT t0.person_id FROM {PersonToken._meta.db_table} t0 {joins}
        WHERE t0.token = %s AND t0.person_id IN ({people_sql})
        ORDER BY t0.person_id LIMIT %s
    """  # noqa: S608 - only placeholders and names made here; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(w.exact for w in query[1:]), query[0].exact, *people_params, limit])
        found = [person_id for (person_id,) in cursor.fetchall()]
    every = (EXACT,) * len(query)
    return [NameScore(person_id=pk, score=EXACT * len(query), per_word=every) for pk in found]


def word_reasons(query: list[WordTokens], per_word: Iterable[int]) -> list[str]:
    """Why a name matched, in words: the query's own words, never the stored name."""
    reasons = []
    for word, score in zip(query, per_word, strict=True):
        if score == EXACT:
            reasons.append(f'name "{word.word}" matches')
        elif score == SOUND:
            reasons.append(f'name sounds like "{word.word}"')
    return reasons


def identifier_matches(
    user: AbstractBaseUser, q: str, *, case_references: bool = True
) -> dict[int, list[str]]:
    """Person id → reasons, for the people this user may see whose phone number, a contact detail
    (any kind: another phone, an email, an address) or a reference number (their own, or, with
    `case_references`, one on a case of theirs this user may see) is exactly what was typed.
    Each an indexed blind look-up."""
    found: dict[int, list[str]] = {}

    def add(person_id: int, reason: str) -> None:
        if reason not in found.setdefault(person_id, []):
            found[person_id].append(reason)

    q = q.strip()
    if not _LOOKS_LIKE_AN_IDENTIFIER.search(q):  # a name: no phone, address or reference to find
        return found
    people = visible_people(user)
    phone = to_e164(q)
    details = detail_indexes(q)
    if phone:
        for person_id in people.filter(phone_index__in=blind_indexes(phone)).values_list(
            "pk", flat=True
        ):
            add(person_id, "phone number matches")
    for person_id, kind in PersonContact.objects.filter(
        value_index__in=details, person__in=people.values("pk")
    ).values_list("person", "kind__label"):
        add(person_id, f"{kind.lower()} matches")
    references = ExternalReference.objects.filter(value_index__in=details)
    for person_id, kind in references.filter(person__in=people.values("pk")).values_list(
        "person", "kind__label"
    ):
        add(person_id, f"{kind.lower()} matches")
    if not case_references:
        return found
    on_cases = dict(
        references.filter(case__in=visible_cases(user)).values_list("case", "kind__label")
    )
    for person_id, case_id in CasePerson.objects.filter(case__in=on_cases).values_list(
        "person", "case"
    ):
        add(person_id, f"{on_cases[case_id].lower()} on their case matches")
    return found


def detail_indexes(q: str) -> set[str]:
    """The blind indexes a contact detail or reference typed as `q` may be stored under."""
    phone = to_e164(q.strip())
    return {value_index(q.strip())} | ({value_index(phone)} if phone else set())


def find_people(user: AbstractBaseUser, q: str, *, limit: int = 20) -> list[PersonMatch]:
    """The people this user may see who match what was typed, best first, each with its reasons:
    a matching phone number or reference first, then names by how many words matched and how."""
    people = visible_people(user)
    query = query_words(q)
    scores: dict[int, int] = {}
    reasons: dict[int, list[str]] = {}
    for person_id, found in identifier_matches(user, q).items():
        scores[person_id] = IDENTIFIER
        reasons[person_id] = list(found)
    for match in name_scores(people, query, limit=limit):
        scores[match.person_id] = scores.get(match.person_id, 0) + match.score
        reasons.setdefault(match.person_id, []).extend(word_reasons(query, match.per_word))
    ranked = sorted(scores, key=lambda person_id: (-scores[person_id], person_id))[:limit]
    loaded = Person.objects.in_bulk(ranked)
    return [
        PersonMatch(person=loaded[pk], score=scores[pk], reasons=tuple(reasons[pk]))
        for pk in ranked
        if pk in loaded
    ]
