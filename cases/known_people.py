"""People named on other cases: who on those cases is likely the same person as someone on this one,
found through the blind indexes and keyed name tokens alone (no name or phone number is decrypted
for another case's people), and the alert to a helpline's supervisors when a perpetrator just
recorded is already named on other open cases (issue 12, UX item 5).

A person on another case is likely the same person when it is the same person record, when the
phone numbers are the same, or when every word of the name (at least two words: one first name
matches half a city) is the same word or sounds the same (Double Metaphone, cases.tokens), and the
ages are within two years of each other; a name whose age is unknown on either side still matches,
as a weaker likeness. A name shared by more than NAME_MATCHES such people is matched to the
NAME_MATCHES most alike."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.selectors import staff_with
from cases.models import Case, CasePerson, Person, PersonAlert
from cases.people_search import EXACT, name_scores, query_words
from notifications.services import notify_staff

AGE_GAP = 2  # years either way that still count as "the same age"
MIN_NAME_WORDS = 2
# A name matches at most this many people on the other cases, the most alike first (every word
# the same before sounding the same, then the longest known): more say too little to be likely.
NAME_MATCHES = 20
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


def _name_hits(people: Sequence[Person], among: QuerySet[CasePerson]) -> dict[int, dict[int, str]]:
    """{other person: {person of `people`: NAME or SOUND}} for the people of `among` whose name
    tokens match every word of the name of one of `people` (MIN_NAME_WORDS words or more) and
    whose age agrees. Per named person, cases.people_search.name_scores with every word required:
    candidates from the name's rarest word through the (token, person) index, `among` and the ages
    asked only of the best of them (an index look-up of their links each, never all of `among` at
    once), at most NAME_MATCHES of them, the most alike first; a name thousands share costs about
    what a rare one does."""
    others = Person.objects.filter(Exists(among.filter(person_id=OuterRef("pk"))))
    hits: dict[int, dict[int, str]] = defaultdict(dict)
    for person in people:
        query = query_words(person.name) if person.name else []
        if len(query) < MIN_NAME_WORDS:
            continue
        alike = others
        if person.age is not None:
            ages = (max(person.age - AGE_GAP, 0), person.age + AGE_GAP)
            alike = others.filter(Q(age__isnull=True) | Q(age__range=ages))
        for match in name_scores(alike, query, all_words=True, limit=NAME_MATCHES):
            exact = all(score == EXACT for score in match.per_word)
            hits[match.person_id][person.pk] = Likeness.NAME if exact else Likeness.SOUND
    return hits


def find_matches(people: Sequence[Person], links: QuerySet[CasePerson]) -> list[PersonMatch]:
    """Every link of `links` whose person is likely one of `people`, best likeness per pair. A few
    queries per name (`_name_hits`), then one for the links, however many people and links the
    other cases hold; nothing of the other people is decrypted."""
    people = [person for person in people if person.pk]
    if not people:
        return []
    held = _name_hits(people, links)
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
