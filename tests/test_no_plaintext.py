"""No index or column holds a name, phone number, address, date of birth or reference in plaintext,
nor an unkeyed hash of one (issue 12; SECURITY.md DP-03): made-up canary values are stored through
the app (a victim, a reporter, contact details with history, references on a person and a case,
the tokens that make names searchable), searched for, and then every table of the database,
history tables, name tokens and sessions included, is read raw and searched for them.
tests/test_encryption.py checks the narrower encryption rules; this is the sweep of everything."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from anyascii import anyascii
from django.db import connection

from cases.models import (
    CasePerson,
    ContactType,
    ExternalReference,
    PersonContact,
    PersonToken,
    ReferenceType,
)
from cases.people_search import find_people
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory

pytestmark = pytest.mark.django_db

NAME = "Quenbyrrow Vashtellín"
REPORTER = "Ildramoor Pexwhistle"
PHONE = "+447700900731"
CONTACT_PHONE = "+447700900732"
EMAIL = "quenbyrrow.canary@example.net"
ADDRESS = "17 Canarywick Lane, Drossmere"
OLD_ADDRESS = "4 Old Vellowmarsh Row"
DATE_OF_BIRTH = "1987-03-14"
REFERENCE = "CANREF/88231/26"
CASE_REFERENCE = "MARACCAN-5521"
SEARCHED = "Zephyrquist Ombrellow"  # typed into the searches only


def _forms(value: str) -> set[str]:
    """A value as it may sit in a column: as given, folded, lower-case, without spaces, and for a
    phone its national and bare forms."""
    folded = anyascii(value)
    forms = {value, value.lower(), folded, folded.lower(), "".join(value.lower().split())}
    if value.startswith("+44"):
        national = "0" + value.removeprefix("+44")
        forms |= {national, value.removeprefix("+"), national[1:]}
    return forms


def _words() -> set[str]:
    words: set[str] = set()
    for value in (NAME, REPORTER, ADDRESS, OLD_ADDRESS, SEARCHED):
        words |= {w for w in anyascii(value).lower().replace(",", " ").split() if len(w) > 4}
    return words


def _unkeyed_hashes() -> dict[str, str]:
    """The sha256, sha1 and md5 hex of each canary's normalised forms and words: an index built
    without the key would hold one of these."""
    hashes = {}
    forms = set(_words())
    for value in (NAME, REPORTER, PHONE, CONTACT_PHONE, EMAIL, REFERENCE):
        forms |= _forms(value)
    for form in forms:
        for algorithm in ("sha256", "sha1", "md5"):
            hashes[hashlib.new(algorithm, form.encode()).hexdigest()] = f"{algorithm}({form})"
    return hashes


def _rows() -> Iterator[tuple[str, str]]:
    """(table, the row's text) for every row of every table."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                yield (
                    table,
                    " ".join(
                        bytes(v).decode("latin-1") if isinstance(v, memoryview | bytes) else str(v)
                        for v in row
                    ),
                )


def _sweep() -> tuple[list[tuple[str, str]], set[str]]:
    """(table, canary) for every canary found in plaintext or as an unkeyed hash; the tables read."""
    plain = set()
    for value in (NAME, REPORTER, PHONE, CONTACT_PHONE, EMAIL, ADDRESS, OLD_ADDRESS, REFERENCE,
                  CASE_REFERENCE, SEARCHED):  # fmt: skip
        plain |= _forms(value)
    plain |= _words() | {DATE_OF_BIRTH, "14/03/1987"}
    hashes = _unkeyed_hashes()
    leaks = []
    tables = set()
    for table, text in _rows():
        tables.add(table)
        low = text.lower()
        leaks += [(table, canary) for canary in plain if canary.lower() in low]
        leaks += [(table, hashes[h]) for h in hashes if h in low]
    return leaks, tables


@pytest.fixture
def stored(helpline, operator):
    """The canaries, stored as the app stores them."""
    case = CaseFactory(helpline=helpline, incident_location=ADDRESS)
    victim = CasePersonFactory(
        case=case,
        person=PersonFactory(name=NAME, phone=PHONE, address=ADDRESS, date_of_birth=DATE_OF_BIRTH),
    ).person
    reporter = PersonFactory(name=REPORTER, phone=CONTACT_PHONE)
    CasePerson.objects.create(case=case, person=reporter, role=CasePerson.Role.REPORTER)
    ReportFactory(case=case, sender=PHONE, body=f"I am {NAME}, call {PHONE}")
    kinds = {kind.code: kind for kind in ContactType.objects.all()}
    old = PersonContact.objects.create(person=victim, kind=kinds["address"], value=OLD_ADDRESS)
    old.valid_to = old.created_at.date()
    old.save()  # a previous address: in the table and its history
    PersonContact.objects.create(person=victim, kind=kinds["mobile"], value=CONTACT_PHONE)
    PersonContact.objects.create(person=victim, kind=kinds["email"], value=EMAIL)
    ExternalReference.objects.create(
        person=victim, kind=ReferenceType.objects.get(code="crime_number"), value=REFERENCE
    )
    ExternalReference.objects.create(
        case=case, kind=ReferenceType.objects.get(code="marac_reference"), value=CASE_REFERENCE
    )
    victim.name = f"{NAME} Junior"  # a change: the history keeps the old name too (encrypted)
    victim.save()
    return victim


def test_no_table_holds_a_canary_in_plaintext_or_an_unkeyed_hash(
    stored, operator, otp_client
) -> None:
    # searched for every way there is, so whatever a search could leave behind is there too
    client = otp_client(operator)
    for q in (NAME, SEARCHED, PHONE, REFERENCE, CASE_REFERENCE, EMAIL):
        assert client.get(client.post("/people/search/", {"q": q})["Location"]).status_code == 200
        assert client.get(client.post("/cases/", {"q": q})["Location"]).status_code == 200
    assert find_people(operator, "Quenbyro Vashtelin")[0].person == stored
    assert PersonToken.objects.filter(person=stored).count() >= 4  # the tokens are there to sweep

    leaks, tables = _sweep()
    assert not leaks, sorted(set(leaks))
    # the sweep saw the tables that matter, history and tokens included
    assert {
        "cases_person",
        "cases_historicalperson",
        "cases_persontoken",
        "cases_personcontact",
        "cases_historicalpersoncontact",
        "cases_externalreference",
        "cases_historicalexternalreference",
        "cases_report",
        "cases_accesslog",
        "django_session",
    } <= tables


def test_the_sweep_is_not_blind(helpline) -> None:
    """A canary in a column that is not encrypted, and a plain hash of a name, are found."""
    PersonFactory(ethnicity=NAME, name="Someone Else")
    CaseFactory(helpline=helpline, number=hashlib.md5(NAME.lower().encode()).hexdigest()[:32])  # noqa: S324

    leaks = set(_sweep()[0])

    assert ("cases_person", NAME) in leaks
    assert ("cases_historicalperson", NAME.lower()) in leaks
    assert any(table == "cases_case" for table, _ in leaks)
