"""People named on other cases: who on those cases is likely the same person as someone on this one,
found through the blind indexes and keyed name tokens alone (no name or phone number is decrypted
for another case's people), and the alert to a helpline's supervisors when a perpetrator just
recorded is already named on other open cases (issue 12, UX item 5).

A person on another case is likely the same person when it is the same person record, when the
phone numbers are the same, or when every word of the name (at least two words: one first name
matches half a city) is the same word or sounds the same (Double Metaphone, cases.tokens), and the
ages are within two years of each other; a name whose age is unknown on either side still matches,
as a weaker likeness."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Case as Choose
from django.db.models import Max, Q, QuerySet, Value, When

from accounts.selectors import staff_with
from cases.models import Case, CasePerson, Person, PersonAlert, PersonToken
from cases.tokens import word_tokens, words
from notifications.services import notify_staff

AGE_GAP = 2  # years either way that still count as "the same age"
MIN_NAME_WORDS = 2
# A case still being worked: alerts and suggestions look at these only.
OPEN_STATUSES = (
    Case.Status.NEW, Case.Status.IN_TRIAGE, Case.Status.VERIFIED, Case.Status.REFERRED,
    Case.Status.IN_SERVICE, Case.Status.RESOLVED,
)  # fmt: skip
ALERT_KIND = "case.perpetrator_known"


class Likeness:
    """How a person on another case is like someone on this one, strongest first."""

    SAME_RECORD = "same_record"
    PHONE = "phone"
    NAME = "name"  # every word the same
    SOUND = "sound"  # every word the same or sounding the same


STRENGTH = {Likeness.SAME_RECORD: 100, Likeness.PHONE: 90, Likeness.NAME: 70, Likeness.SOUND: 60}
AGE_UNKNOWN_PENALTY = 25


@dataclass(frozen=True)
class PersonMatch:
    """`person_id` (on this case) is likely the person of `link_id` on case `case_id`."""

    person_id: int
    link_id: int
    case_id: int
    role: str  # the role on the other case
    likeness: str
    ages: tuple[int | None, int | None]  # this person's age, the other's

    @property
    def age_known(self) -> bool:
        return None not in self.ages

    @property
    def score(self) -> int:
        weaker = self.likeness in (Likeness.NAME, Likeness.SOUND) and not self.age_known
        return STRENGTH[self.likeness] - (AGE_UNKNOWN_PENALTY if weaker else 0)


def _ages_agree(mine: int | None, theirs: int | None) -> bool:
    return mine is None or theirs is None or abs(mine - theirs) <= AGE_GAP


def _name_hits(
    named: dict[int, list[tuple[str, frozenset[str]]]], among: QuerySet[CasePerson]
) -> dict[int, dict[int, str]]:
    """{other person: {person of `named`: NAME or SOUND}} for the people of `among` whose name
    tokens match every word of a name of `named`. One query, grouped and filtered in the database
    (each word scores 2 exact, 1 by sound, 0 not at all), so a common name returns only the people
    who match, not every row of its tokens."""
    if not named:
        return {}
    scores: dict[str, Max] = {}
    every_word: Q | None = None
    for person_id, name in named.items():
        all_of = Q()
        for i, (exact, tokens) in enumerate(name):
            key = f"p{person_id}w{i}"
            scores[key] = Max(
                Choose(
                    When(token=exact, then=Value(2)),
                    When(token__in=tokens, then=Value(1)),
                    default=Value(0),
                )
            )
            all_of &= Q(**{f"{key}__gt": 0})
        every_word = all_of if every_word is None else every_word | all_of
    tokens = {token for name in named.values() for _, word in name for token in word}
    rows = (
        PersonToken.objects.filter(token__in=tokens, person_id__in=among.values("person_id"))
        .order_by()
        .values("person_id")
        .annotate(**scores)
        .filter(every_word)
    )
    hits: dict[int, dict[int, str]] = defaultdict(dict)
    for row in rows:
        for person_id, name in named.items():
            found = [row[f"p{person_id}w{i}"] for i in range(len(name))]
            if all(found):
                exact = all(score == 2 for score in found)
                hits[row["person_id"]][person_id] = Likeness.NAME if exact else Likeness.SOUND
    return hits


def find_matches(people: Sequence[Person], links: QuerySet[CasePerson]) -> list[PersonMatch]:
    """Every link of `links` whose person is likely one of `people`, best likeness per pair. Two
    queries however many people and links: the names (grouped in the database), then the links;
    nothing of the other people is decrypted."""
    people = [person for person in people if person.pk]
    if not people:
        return []
    named: dict[int, list[tuple[str, frozenset[str]]]] = {}
    for person in people:
        found = [word_tokens(word) for word in words(person.name)] if person.name else []
        if len(found) >= MIN_NAME_WORDS:
            named[person.pk] = [(w.exact, frozenset((w.exact, *w.sounds))) for w in found]
    held = _name_hits(named, links)
    phones = {person.phone_index for person in people if person.phone_index}
    found_links = links.filter(
        Q(person_id__in=[person.pk for person in people])
        | Q(person__phone_index__in=phones)
        | Q(person_id__in=list(held))
    ).values_list("pk", "case_id", "role", "person_id", "person__phone_index", "person__age")
    matches = []
    for link_id, case_id, role, other_id, phone_index, age in found_links:
        for person in people:
            likeness = None
            if other_id == person.pk:
                likeness = Likeness.SAME_RECORD
            elif person.phone_index and phone_index == person.phone_index:
                likeness = Likeness.PHONE
            elif _ages_agree(person.age, age):
                likeness = held.get(other_id, {}).get(person.pk)
            if likeness:
                matches.append(
                    PersonMatch(person.pk, link_id, case_id, role, likeness, (person.age, age))
                )
    return matches


def alert_known_perpetrators(
    *, case: Case, people: Iterable[Person], actor: AbstractBaseUser | None
) -> dict[int, int]:
    """Tell the case's helpline supervisors, through the outbox, about each of `people` (the
    perpetrators just recorded on `case`) who is likely named as a perpetrator on other open
    cases of the same helpline: "A person named as perpetrator on case LNT-… is named on N other
    open cases" (no name, no number). Once per case and person: a person already alerted about
    on this case is not alerted about again on the next save (cases.PersonAlert, written with the
    alert). Call inside the transaction that recorded them. Returns {person id: N} for the alerts
    queued."""
    told = set(
        PersonAlert.objects.filter(case=case, kind=ALERT_KIND).values_list("person_id", flat=True)
    )
    fresh = [person for person in people if person.pk and person.pk not in told]
    if not fresh:
        return {}
    others = CasePerson.objects.filter(
        role=CasePerson.Role.PERPETRATOR,
        case__helpline_id=case.helpline_id,
        case__status__in=OPEN_STATUSES,
    ).exclude(case_id=case.pk)
    cases_by_person: dict[int, set[int]] = defaultdict(set)
    for match in find_matches(fresh, others):
        cases_by_person[match.person_id].add(match.case_id)
    if not cases_by_person:
        return {}
    supervisors = list(staff_with(case.helpline_id, "cases.supervise_case"))
    queued = {}
    for person in fresh:
        count = len(cases_by_person.get(person.pk, ()))
        if not count:
            continue
        plural = "case" if count == 1 else "cases"
        notify_staff(
            users=supervisors,
            kind=ALERT_KIND,
            case_number=case.number,
            text=f"A person named as perpetrator on case {case.number} is named on "
            f"{count} other open {plural}",
        )
        queued[person.pk] = count
    PersonAlert.objects.bulk_create(
        [PersonAlert(case=case, person_id=pk, kind=ALERT_KIND) for pk in queued],
        ignore_conflicts=True,
    )
    return queued
