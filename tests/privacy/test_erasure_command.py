"""The erase_person and reapply_erasures commands (CONTRACT "Additions")."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cases.models import Person
from privacy.models import ErasureRequest, LegalHold
from tests.privacy.canary import find
from tests.privacy.erasure_helpers import VICTIM, plant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ledger(settings, tmp_path):
    settings.ERASURE_LEDGER = tmp_path / "erasures.jsonl"


def _run(*args: str, **options: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_erases_at_once_as_the_command_line(helpline, operator):
    # given
    person = plant(helpline, operator).victim

    # when
    said = _run("erase_person", str(person.pk), reason="Ticket 42")

    # then
    assert said == f"Person {person.pk} erased (request {ErasureRequest.objects.get().pk}).\n"
    assert find(*VICTIM.values()) == []
    request = ErasureRequest.objects.get()
    assert request.status == ErasureRequest.Status.DONE
    assert request.requested_by == request.decided_by
    assert request.requested_by.username == "command-line"
    assert not request.requested_by.is_active
    assert request.reasons == "Ticket 42"


def test_refuses_an_unknown_or_restricted_person(helpline, operator):
    # given
    person = plant(helpline, operator).victim
    Person.objects.filter(pk=person.pk).update(processing_restricted=True)

    # when / then
    with pytest.raises(CommandError, match="no person 999999"):
        _run("erase_person", "999999", reason="x")
    with pytest.raises(CommandError, match="restricted processing"):
        _run("erase_person", str(person.pk), reason="x")
    assert find(VICTIM["name"])


def test_a_legal_hold_restricts_instead(helpline, operator, dpo):
    # given
    person = plant(helpline, operator).victim
    LegalHold.objects.create(person=person, reason="Claim", placed_by=dpo)

    # when
    said = _run("erase_person", str(person.pk), reason="x")

    # then
    assert "under a legal hold: not erased, processing restricted" in said
    assert Person.objects.get(pk=person.pk).processing_restricted


def test_reapply_prints_how_many(helpline, operator):
    # given: erased, then the person's row came back as it was (a restore)
    person = plant(helpline, operator).victim
    _run("erase_person", str(person.pk), reason="x")
    Person.objects.filter(pk=person.pk).update(erased_at=None)
    restored = Person.objects.get(pk=person.pk)
    restored.name = VICTIM["name"]
    restored.save()

    # when / then
    assert _run("reapply_erasures") == "1 re-erased\n"
    assert find(VICTIM["name"]) == []
    assert _run("reapply_erasures") == "0 re-erased\n"
