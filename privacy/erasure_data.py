"""What erasing a person removes (SECURITY DP-09), table by table, history included (privacy.scrub).

Goes: everything that identifies the person (their own fields and blind indexes, name tokens,
contact details, references), what they sent us (reports from their phone, their portal messages,
recordings and files), what we sent them (outbox rows to them, portal updates), their portal access,
form drafts of their cases, risk answers and the personal part of feed rows about them as a victim,
unrouted texts from their phone; and their identifying values wherever staff's free text on their
cases repeats them (privacy.erasure_mentions: notes themselves are kept, see there).

Stays: the CasePerson links ("a person, erased"), so each case keeps its shape; other people on
the same cases and everything about them; the access log (ids only); an SMS keyword's blind index
(a STOP must go on being honoured, and a keyed hash does not identify anyone).

Must be called inside the erasure's transaction (privacy.erasure.decide)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db.models import Q

from cases.models import (
    CasePerson,
    Draft,
    ExternalReference,
    Person,
    PersonContact,
    PersonToken,
    Report,
)
from feeds.models import FeedRecord, FeedRecordVersion
from intake.adapters.twilio import RecordingUnavailableError
from intake.models import UnroutedMessage
from intake.recordings import discard_recording
from notifications.models import Notification
from portal.models import PortalAccess, PortalUpdate
from privacy.erasure_mentions import pattern_for, redact_mentions
from privacy.models import Category
from privacy.scrub import blank_rows, delete_rows
from project.crypto import blind_index
from risk.models import Assessment


class ErasureError(Exception):
    """An erasure that cannot be asked for, decided or done now, in words the officer can act on
    (raised before anything is written, or inside the transaction, which then rolls back)."""


PERSON_BLANKS = {
    "name": "",
    "name_index": "",
    "age": None,
    "ethnicity": "",
    "phone": "",
    "phone_index": "",
    "address": "",
    "date_of_birth": "",
    "contact_preferences": {},
    "language": None,
}

REPORT_BLANKS = {
    "sender": "",
    "sender_index": "",
    "body": "",
    "media": [],
    "raw": {},
    "recording_sid": "",
    "recording_url": "",
    "recording_duration": None,
    "transcription": "",
    "recording_file": "",
}


def identifying_values(person: Person) -> list[str]:
    """Every value that identifies the person: their fields, contact details and references."""
    values = [person.name, person.phone, person.address, person.date_of_birth]
    values += [c.value for c in PersonContact.objects.filter(person=person)]
    values += [r.value for r in ExternalReference.objects.filter(person=person)]
    return [v for v in values if v]


def phones_of(person: Person) -> set[str]:
    """The person's phone and every phone-shaped contact detail of theirs."""
    phones = {person.phone} if person.phone else set()
    contacts = PersonContact.objects.filter(person=person, kind__shape="phone")
    return phones | {c.value.replace(" ", "") for c in contacts if c.value}


def _case_ids(person: Person, *, victim_only: bool = False) -> list[int]:
    links = CasePerson.objects.filter(person=person)
    if victim_only:
        links = links.filter(role=CasePerson.Role.VICTIM)
    return sorted(set(links.values_list("case_id", flat=True)))


def _reports_sent(person: Person, victim_cases: list[int]) -> tuple[int, int]:
    """Reports from the person's phone (any case) and their portal messages. A recording goes
    everywhere through intake.recordings (the provider's copy too, and the stored file once this
    commits). Returns (messages, recordings)."""
    indexes = {blind_index(phone) for phone in phones_of(person)}
    sent = Report.objects.filter(
        Q(sender_index__in=indexes) | Q(case__in=victim_cases, channel=Report.PORTAL)
    )
    # (the provider's URL is encrypted, so it cannot be filtered on: its sid and the file say)
    recordings = list(sent.exclude(recording_sid="", recording_file=""))
    for report in recordings:
        try:
            discard_recording(report)
        except RecordingUnavailableError:
            raise ErasureError(
                "A recording could not be deleted at the provider just now: nothing was erased. "
                "Try again later."
            ) from None
    return blank_rows(sent, REPORT_BLANKS), len(recordings)


def _unrouted(phones: set[str]) -> int:
    """Texts from the person's phone that reached no case (no blind index: read them all)."""
    if not phones:
        return 0
    pks = [m.pk for m in UnroutedMessage.objects.only("pk", "sender") if m.sender in phones]
    blanks = {"sender": "", "body": "", "media": [], "raw": {}}
    return blank_rows(UnroutedMessage.objects.filter(pk__in=pks), blanks)


def _drafts(case_ids: list[int], values: Iterable[str]) -> int:
    """Drafts of their cases go whole; a new-case draft (no case yet) goes if it names them."""
    count = delete_rows(Draft.objects.filter(case__in=case_ids))
    pattern = pattern_for(values)
    if pattern is None:
        return count
    loose = [d.pk for d in Draft.objects.filter(case__isnull=True) if pattern.search(str(d.data))]
    return count + delete_rows(Draft.objects.filter(pk__in=loose))


def _feeds(victim_cases: list[int]) -> int:
    records = FeedRecord.objects.filter(case__in=victim_cases)
    versions = FeedRecordVersion.objects.filter(record__in=records)
    return blank_rows(versions, {"personal": {}}) + blank_rows(records, {"personal": {}})


def erase_person_data(person: Person) -> Counter[str]:
    """Remove what identifies `person` everywhere (see the module's docstring). Returns how many
    rows of each retention category were removed or blanked. Sets nothing on the Person row
    beyond blanks: the caller records erased_at with the request's history reason."""
    counts: Counter[str] = Counter()
    case_ids = _case_ids(person)
    victim_cases = _case_ids(person, victim_only=True)
    values = identifying_values(person)
    phones = phones_of(person)

    # First what mentions or was sent by them, while their values are still known.
    counts[Category.CASE_CONTENT] += redact_mentions(case_ids, values)
    messages, recordings = _reports_sent(person, victim_cases)
    counts[Category.MESSAGES] += messages + _unrouted(phones)
    counts[Category.RECORDINGS] += recordings
    counts[Category.MESSAGES] += delete_rows(Notification.objects.filter(person=person))
    counts[Category.MESSAGES] += delete_rows(PortalUpdate.objects.filter(case__in=victim_cases))
    counts[Category.CONTACT_DETAILS] += delete_rows(
        PortalAccess.objects.filter(case__in=victim_cases)
    )
    counts[Category.CASE_CONTENT] += _drafts(case_ids, values)
    counts[Category.CASE_CONTENT] += blank_rows(
        Assessment.objects.filter(case__in=victim_cases),
        {"answers": {}, "notes": "", "judgement_reason": ""},
    )
    counts[Category.FEED_RECORDS] += _feeds(victim_cases)

    # Then the person's own details.
    counts[Category.CONTACT_DETAILS] += delete_rows(PersonContact.objects.filter(person=person))
    counts[Category.CONTACT_DETAILS] += delete_rows(ExternalReference.objects.filter(person=person))
    delete_rows(PersonToken.objects.filter(person=person))
    counts[Category.CONTACT_DETAILS] += blank_rows(
        Person.objects.filter(pk=person.pk), PERSON_BLANKS
    )
    return +counts
