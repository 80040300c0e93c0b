"""The gazetteer in casework (issue 13 item 6): addresses normalised for matching, suggestions as
someone types, matching a case's incident or a person's address to a place, and a place with the
cases linked to it that the user may see.

Suggestions come from Lantern's own Place table, never an outside geocoder, so a victim's address
is sent nowhere; the typed text arrives in a POST body (never a URL, which access logs keep) and is
neither stored nor logged. Matching is on the normalised text, served by the btree indexes on
`postcode` and `search_text` (on PostgreSQL Django adds a pattern-ops index to each, which a
`LIKE 'prefix%'` uses):
- a whole postcode typed ("SW1A 2AA", "sw1a2aa"): that postcode's places, the other words typed
  matched as word beginnings anywhere in the address;
- a postcode's beginning at the end ("... SW1A", "SW1A 2"): places under it whose address starts
  with the words before it;
- otherwise the typed words as the beginning of the address ("12 high st"); and when that finds
  fewer than ten, each typed word as the beginning of a word anywhere in the address ("14
  wickmere" finds "Flat 3, 14 Wickmere Close"). On PostgreSQL that last look-up wants a trigram
  index on search_text (pg_trgm, gin_trgm_ops): a few milliseconds on a million places with it,
  a scan of the table (about 0.2 s) without it.
Only staff who see who is in a case (operators, supervisors, CSO representatives) use them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest

from cases.addresses import current_address
from cases.changes import NOT_SENT, CaseChanges, StaleVersionError, change_case, changes_since
from cases.flags import bump_version, require_reason
from cases.models import AccessLog, Case, CasePerson, ContactType, PersonContact, Place
from cases.moves import lock_case, require
from cases.policy import AnyUser, can_see_identities, changeable_details
from cases.references import may_change_person
from cases.selectors import list_cases
from cases.workflow import CaseError, NotAllowedError
from project.history import attribute_change

MAX_SUGGESTIONS = 10
MIN_QUERY_CHARS = 3
MAX_QUERY_CHARS = 200
# a postcode holds a few dozen addresses (a large block some hundreds); read this many at most
POSTCODE_SCAN = 500
# words-anywhere candidates read before the word beginnings are checked here
ANYWHERE_SCAN = 50
# a word shorter than this has no trigram to look it up by: alone, such words are not searched
# anywhere in the address (only as its beginning)
ANYWHERE_MIN_WORD = 3
# a place linked to more cases than this shows the newest
MAX_LISTED_CASES = 200

_WORD = re.compile(r"[^0-9a-z]+")
_OUTWARD = re.compile(r"^[a-z]{1,2}[0-9][a-z0-9]?$")
_INWARD = re.compile(r"^[0-9][a-z]{2}$")
_INWARD_START = re.compile(r"^[0-9][a-z]?$")
_WHOLE = re.compile(r"^([a-z]{1,2}[0-9][a-z0-9]?)([0-9][a-z]{2})$")
_DIGITS = re.compile(r"(\d+)")


def may_match_places(user: AnyUser) -> bool:
    """Suggestions, place pages and matching: staff who see who is in a case (not monitors or
    administrators, who see no addresses)."""
    return can_see_identities(user)


def normalise(text: str) -> str:
    """Lower case, accents and punctuation gone, one space between words: "Flat 2, 10 Rue
    Éclair" and "flat 2 10 rue eclair" are the same text."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_WORD.split(plain.casefold())).strip()


def search_text(address: str) -> str:
    return normalise(address)[:500]


def normalise_postcode(text: str) -> str:
    """As Royal Mail writes it and the gazetteer keeps it: "sw1a2aa" is "SW1A 2AA"."""
    compact = "".join((text or "").split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]
    postcode: str  # upper case, as stored ("SW1A 2AA"), or its beginning ("SW1A")
    whole_postcode: bool


def parse_query(q: str) -> Query:
    """Split what was typed into the address words and a postcode (whole, or begun) at its end."""
    words = tuple(normalise(q[:MAX_QUERY_CHARS]).split())
    if len(words) >= 2 and _OUTWARD.match(words[-2]) and _INWARD.match(words[-1]):
        return Query(words[:-2], f"{words[-2]} {words[-1]}".upper(), True)
    if words and (whole := _WHOLE.match(words[-1])):
        return Query(words[:-1], f"{whole[1]} {whole[2]}".upper(), True)
    if len(words) >= 2 and _OUTWARD.match(words[-2]) and _INWARD_START.match(words[-1]):
        return Query(words[:-2], f"{words[-2]} {words[-1]}".upper(), False)
    if words and _OUTWARD.match(words[-1]):
        return Query(words[:-1], words[-1].upper(), False)
    return Query(words, "", False)


def _natural(place: Place) -> tuple[object, ...]:
    """House numbers in number order: 2 High Street before 10 High Street."""
    parts = _DIGITS.split(place.search_text)
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts)


def _has_words(place: Place, words: tuple[str, ...]) -> bool:
    """Every word typed is a word of the address, the last one perhaps only begun (a word
    followed by another is whole: "1 quillon" is not "10 Quillon Street")."""
    own = place.search_text.split()
    whole, last = words[:-1], words[-1:]
    return all(word in own for word in whole) and all(
        any(word_there.startswith(word) for word_there in own) for word in last
    )


def suggest(q: str) -> list[Place]:
    """Up to MAX_SUGGESTIONS places matching what was typed (see the module's docstring), in
    address order. Fewer than MIN_QUERY_CHARS characters: none."""
    query = parse_query(q)
    if len(" ".join(query.words) + query.postcode) < MIN_QUERY_CHARS:
        return []
    # No ORDER BY in the queries: a prefix shared by many places would be sorted whole first;
    # without it the index stops at the first matches, and the few found are sorted here.
    places = Place.objects.order_by()
    found: dict[str, Place] = {}
    if query.whole_postcode:
        for place in places.filter(postcode=query.postcode)[:POSTCODE_SCAN]:
            if _has_words(place, query.words):
                found[place.uprn] = place
    else:
        if query.postcode:
            under = places.filter(postcode__startswith=query.postcode)
            if query.words:
                under = under.filter(search_text__startswith=" ".join(query.words))
            found |= {place.uprn: place for place in under[:MAX_SUGGESTIONS]}
        words = (*query.words, *query.postcode.lower().split())
        if len(found) < MAX_SUGGESTIONS:
            begun = places.filter(search_text__startswith=" ".join(words))[:MAX_SUGGESTIONS]
            found |= {place.uprn: place for place in begun}
        if len(found) < MAX_SUGGESTIONS and _searchable_anywhere(query):
            found |= {place.uprn: place for place in _anywhere(query)}
    return sorted(found.values(), key=_natural)[:MAX_SUGGESTIONS]


def _searchable_anywhere(query: Query) -> bool:
    """An index can find it: a postcode's beginning, or a word long enough for trigrams."""
    return bool(query.words) and bool(
        query.postcode or max(map(len, query.words)) >= ANYWHERE_MIN_WORD
    )


def _anywhere(query: Query) -> list[Place]:
    """Places with every word typed beginning a word of their address, in any order (under the
    postcode begun, if one was)."""
    candidates = Place.objects.order_by()
    if query.postcode:
        candidates = candidates.filter(postcode__startswith=query.postcode)
    for word in query.words:
        candidates = candidates.filter(search_text__contains=word)
    return [place for place in candidates[:ANYWHERE_SCAN] if _has_words(place, query.words)]


def place_by_uprn(uprn: str) -> Place | None:
    uprn = (uprn or "").strip()
    if not uprn.isdigit() or len(uprn) > 12:
        return None
    return Place.objects.filter(uprn=str(int(uprn))).first()


# A place and its cases --------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkedCase:
    case: Case
    incident: bool  # the incident happened here
    address: bool  # someone on the case has (or had) an address here


@dataclass(frozen=True)
class PlaceRecord:
    place: Place
    cases: list[LinkedCase]  # newest first, only those the user may see


def place_record(user: AbstractBaseUser, uprn: str, *, request: HttpRequest) -> PlaceRecord:
    """The place and the cases linked to it that the user may see; Http404 for an unknown UPRN
    and for those who may not match places. The listing is audited like any list of cases."""
    place = place_by_uprn(uprn) if may_match_places(user) else None
    if place is None:
        raise Http404("No such place.")
    at_address = set(
        CasePerson.objects.filter(person__contacts__place=place).values_list("case_id", flat=True)
    )
    cases = list(
        list_cases(user)
        .filter(Q(place=place) | Q(pk__in=at_address))
        .order_by("-created_at", "-pk")[:MAX_LISTED_CASES]
    )
    AccessLog.objects.create(
        user=user,
        action=AccessLog.Action.LIST,
        via="api" if request.path.startswith("/api/") else "web",
        detail=f"place {place.uprn}",
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )
    return PlaceRecord(
        place=place,
        cases=[
            LinkedCase(case=case, incident=case.place_id == place.pk, address=case.pk in at_address)
            for case in cases
        ],
    )


# Matching -------------------------------------------------------------------------------------


def _why(place: Place | None, reason: str) -> str:
    # Never the UPRN: a history's reasons are read by those who may not see where (monitors),
    # and a UPRN is an address.
    return f"{'Matched to a place' if place else 'Place match taken off'}: {reason}"


def set_case_place(
    *, case: Case, place: Place | None, actor: AbstractBaseUser, reason: str,
    version: int | None = None,
) -> Case:  # fmt: skip
    """Match the case's incident location to a gazetteer place (None: unmatch it), a history row
    with the reason and the case's version raised, as every change of its details. Whoever may
    change the incident may do it; with `version`, a writer who read an older case is refused
    (409). The same place again changes nothing."""
    reason = require_reason(reason)
    with transaction.atomic():
        locked = lock_case(case)
        require("incident" in changeable_details(actor, locked), locked, "You cannot change it.")
        if version is not None and locked.version != version:
            raise StaleVersionError(locked, version, changes_since(actor, locked, version))  # type: ignore[arg-type]
        if locked.place_id == (place.pk if place else None):
            return locked
        locked.place = place
        bump_version(locked, actor, _why(place, reason), fields=["place"])
    return locked


def set_contact_place(
    *, contact: PersonContact, place: Place | None, actor: AbstractBaseUser, reason: str
) -> PersonContact:
    """Match one of a person's addresses to a gazetteer place (None: unmatch it), with the reason
    in its history; whoever may change the person may. The same place again changes nothing."""
    reason = require_reason(reason)
    with transaction.atomic():
        locked = (
            PersonContact.objects.select_for_update(of=("self",))
            .select_related("kind", "person")
            .get(pk=contact.pk)
        )
        if not may_change_person(actor, locked.person):
            raise NotAllowedError("You cannot change this person's record.")
        if locked.kind.shape != ContactType.Shape.ADDRESS:
            raise CaseError("Only an address can be matched to a place.")
        if locked.place_id == (place.pk if place else None):
            return locked
        locked.place = place
        attribute_change(locked, actor=actor, reason=_why(place, reason))
        locked.save(update_fields=["place"])
    return locked


@transaction.atomic
def change_with_places(
    *, case: Case, actor: AbstractBaseUser, version: int, reason: str, changes: CaseChanges,
    incident_place: Place | None = NOT_SENT, victim_place: Place | None = NOT_SENT,
) -> Case:  # fmt: skip
    """The case page's "Change details" with its gazetteer matches, all or none: the details
    (cases.changes), then the incident's place, then the place of the victim's current address
    (after a move, the new one). Nothing sent at all: refused, as a change of nothing is."""
    if not changes.parts() and incident_place is NOT_SENT and victim_place is NOT_SENT:
        raise CaseError("Nothing to change.")
    if changes.parts():
        case = change_case(case=case, actor=actor, version=version, reason=reason, changes=changes)  # type: ignore[arg-type]
        version = case.version
    if incident_place is not NOT_SENT:
        case = set_case_place(
            case=case, place=incident_place, actor=actor, reason=reason, version=version
        )
        version = case.version
    if victim_place is not NOT_SENT:
        _match_victim_address(case, actor, version, reason, victim_place)
    return case


def _match_victim_address(
    case: Case, actor: AbstractBaseUser, version: int, reason: str, place: Place | None
) -> None:
    locked = lock_case(case)
    require("victim" in changeable_details(actor, locked), locked, "You cannot change it.")
    if locked.version != version:
        raise StaleVersionError(locked, version, changes_since(actor, locked, version))  # type: ignore[arg-type]
    victim = locked.people.filter(role=CasePerson.Role.VICTIM).select_related("person").first()
    address = current_address(victim.person) if victim else None
    if address is None:
        raise CaseError("Enter the victim's address before matching it to a place.")
    set_contact_place(contact=address, place=place, actor=actor, reason=reason)
