"""Victim data is encrypted at rest with its own key, in history too, and a missing key is loud."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from cases.models import Person, Report
from project.crypto import UndecryptableValueError, blind_index
from tests.factories import CasePersonFactory, PersonFactory, ReportFactory

pytestmark = pytest.mark.django_db

CANARY = "CANARY-VICTIM-7Q2"


def _raw_text_of(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return repr(cursor.fetchall())


def test_identities_and_narratives_are_ciphertext_in_tables_and_history() -> None:
    link = CasePersonFactory(
        person=PersonFactory(name=f"{CANARY} Name", phone="+447700900999", address=CANARY)
    )
    ReportFactory(case=link.case, body=f"{CANARY} body", sender="+447700900999")

    for table in (
        "cases_person",
        "cases_historicalperson",
        "cases_report",
        "cases_historicalreport",
    ):
        raw = _raw_text_of(table)
        assert CANARY not in raw, table
        assert "7700900999" not in raw, table

    person = Person.objects.get()
    assert person.name == f"{CANARY} Name"  # the ORM reads plaintext
    assert Report.objects.get().body == f"{CANARY} body"


def test_blind_indexes_find_a_phone_without_storing_it() -> None:
    person = PersonFactory(phone="+447700900999")
    assert person.phone_index == blind_index("+447700900999")
    assert Person.objects.filter(phone_index=blind_index("+447700900999")).get() == person


def test_keys_rotate_and_a_missing_key_fails_loudly(settings) -> None:
    person = PersonFactory(name="Rotating Name")
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    field = Person._meta.get_field("name")

    def reset_cached_cipher() -> None:
        field.__dict__.pop("f", None)

    try:
        settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
        reset_cached_cipher()
        person = Person.objects.get(pk=person.pk)
        person.save()  # re-encrypted with the new key

        settings.FIELD_ENCRYPTION_KEYS = [new_key]
        reset_cached_cipher()
        assert Person.objects.get(pk=person.pk).name == "Rotating Name"

        settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
        reset_cached_cipher()
        with pytest.raises(UndecryptableValueError):
            Person.objects.get(pk=person.pk)
    finally:
        reset_cached_cipher()
