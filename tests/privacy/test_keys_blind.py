"""`rotate_keys --blind-index`: every blind index recomputed under the new BLIND_INDEX_KEY, and a
person is found by phone before, during (previous key still matching) and after the re-index."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cases.models import Person, PersonContact, Report
from cases.models.people import value_index
from cases.tokens import name_tokens
from privacy import keys_blind
from project.crypto import blind_index, blind_indexes
from tests.factories import CasePersonFactory, ReportFactory

pytestmark = pytest.mark.django_db

PHONE = "+447700900777"


def found_by_phone() -> set[int]:
    return set(
        Person.objects.filter(phone_index__in=blind_indexes(PHONE)).values_list("pk", flat=True)
    )


@pytest.fixture
def people(settings) -> list[Person]:
    settings.BLIND_INDEX_KEY = "made-up-blind-key-one"
    settings.BLIND_INDEX_PREVIOUS_KEYS = []
    linked = [CasePersonFactory(person__phone=PHONE, person__name=f"Testperson Rowan{n}")
              for n in range(3)]  # fmt: skip
    ReportFactory(case=linked[0].case, sender=PHONE)
    return [link.person for link in linked]


def test_people_are_found_by_phone_before_during_and_after_a_re_index(people, settings) -> None:
    everyone = {person.pk for person in people}
    assert found_by_phone() == everyone

    settings.BLIND_INDEX_KEY = "made-up-blind-key-two"
    settings.BLIND_INDEX_PREVIOUS_KEYS = ["made-up-blind-key-one"]
    assert found_by_phone() == everyone  # nothing re-indexed yet: the previous key matches

    def stop(table: str, rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        keys_blind.reindex(batch=1, on_batch=stop)  # one person re-indexed, two not
    assert Person.objects.filter(phone_index=blind_index(PHONE)).count() == 1
    assert found_by_phone() == everyone

    out = io.StringIO()
    call_command("rotate_keys", "--blind-index", "--batch", "2", stdout=out)
    assert "cases_person: " in out.getvalue()

    settings.BLIND_INDEX_PREVIOUS_KEYS = []
    assert found_by_phone() == everyone


def test_every_index_follows_the_new_key(people, settings) -> None:
    contact = PersonContact.objects.create(
        person=people[0], kind_id=_a_contact_kind(), value="1 Made-up Street"
    )
    settings.BLIND_INDEX_KEY = "made-up-blind-key-two"

    keys_blind.reindex()

    person = Person.objects.get(pk=people[0].pk)
    assert person.phone_index == blind_index(PHONE)
    assert set(person.tokens.values_list("token", flat=True)) == name_tokens(person.name)
    assert (
        Report.objects.get(sender_index=blind_index(PHONE)).case_id == people[0].cases.get().case_id
    )
    contact.refresh_from_db()
    assert contact.value_index == value_index("1 Made-up Street")
    # nothing made a history row (the re-index is no change to anyone's record), and the copies
    # there carry no index under the old key either
    assert list(person.history.values_list("phone_index", flat=True)) == [blind_index(PHONE)]


def _a_contact_kind() -> int:
    from cases.models import ContactType

    return ContactType.objects.values_list("pk", flat=True).first()
