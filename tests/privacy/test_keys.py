"""Key rotation (issue 15 part 5, SECURITY DP-02): `rotate_keys` moves every encrypted value (history
included) and every protected file under the first key, resumes after an interruption, and a key
that opens nothing fails loudly (and readiness says so)."""

from __future__ import annotations

import io
import os

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from cases.models import Person, Report
from privacy import keys
from privacy.models import KeyRotation
from project import protected_files
from project.crypto import UndecryptableValueError, unreadable_sample
from tests.factories import CasePersonFactory, ReportFactory
from tests.privacy.canary import canary, find

pytestmark = pytest.mark.django_db

K2 = Fernet.generate_key().decode()
K3 = Fernet.generate_key().decode()


@pytest.fixture
def k1(settings) -> str:
    """The key the suite's data (seeded rows included) is encrypted under."""
    return settings.FIELD_ENCRYPTION_KEYS[0]


@pytest.fixture
def stored(k1, settings) -> dict[str, object]:
    """Values under K1 in live rows, historical rows, a JSON column and a protected file."""
    settings.FIELD_ENCRYPTION_KEYS = [k1]
    link = CasePersonFactory(person__name=canary("name"), person__phone="+447700900777")
    person = link.person
    person.address = canary("first-notes")
    person.save()
    person.address = canary("notes")  # the first address now lives only in the history
    person.save()
    report = ReportFactory(case=link.case, body=canary("body"), raw={"Body": canary("raw")})
    name = protected_files.save_encrypted(canary("audio").encode() * 5000, prefix="recordings")
    yield {"person": person, "report": report, "file": name}
    protected_files.delete(name)


def everything_reads() -> list[str]:
    # find() reads every row of every model through the ORM (decrypting it) and every file.
    return find(canary("name"), canary("first-notes"), canary("notes"), canary("body"),
                canary("raw"), canary("audio"))  # fmt: skip


def test_rotation_moves_every_value_and_file_to_the_new_key(stored, k1, settings) -> None:
    before = everything_reads()
    assert any(".historicalperson" in hit.lower() for hit in before)
    assert f"file.{stored['file']} 0" in before

    settings.FIELD_ENCRYPTION_KEYS = [K2, k1]
    assert keys.remaining()  # everything is still under K1
    out = io.StringIO()
    call_command("rotate_keys", "--batch", "2", stdout=out)
    assert "ok: the first key alone opens every value and file" in out.getvalue()
    assert K2 not in out.getvalue()
    assert k1 not in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [K2]
    assert everything_reads() == before
    assert keys.remaining() == {}
    assert unreadable_sample() == []


def test_an_interrupted_rotation_continues_where_it_stopped(stored, k1, settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [K2, k1]
    batches: list[str] = []

    def stop_after_the_first_batch(table: str, rows: int) -> None:
        batches.append(table)
        raise KeyboardInterrupt  # the operator's Ctrl-C, or a deploy stopping the process

    with pytest.raises(KeyboardInterrupt):
        keys.rotate(batch=1, on_batch=stop_after_the_first_batch)
    first_table = batches[0]
    progress = KeyRotation.objects.get(table=first_table)
    assert progress.last_pk > 0
    assert progress.finished_at is None
    assert progress.key_id not in (K2, k1)  # a fingerprint, never the key

    keys.rotate(batch=1)
    assert keys.remaining() == {}
    settings.FIELD_ENCRYPTION_KEYS = [K2]
    assert everything_reads()


def test_a_key_that_opens_nothing_raises_and_readiness_says_so(stored, settings) -> None:
    assert unreadable_sample() == []
    settings.FIELD_ENCRYPTION_KEYS = [K3]

    with pytest.raises(UndecryptableValueError):
        Person.objects.get(pk=stored["person"].pk)
    with pytest.raises(UndecryptableValueError):
        list(Report.objects.filter(pk=stored["report"].pk))  # a JSON column too
    with pytest.raises(UndecryptableValueError):
        protected_files.open_decrypted(stored["file"])
    assert "cases.Person.name" in unreadable_sample()

    with pytest.raises(CommandError, match="no configured key opens"):
        call_command("rotate_keys", stdout=io.StringIO())


def test_a_file_left_half_replaced_is_finished_by_the_next_run(stored, k1, settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [K2, k1]
    root = settings.PROTECTED_MEDIA_ROOT
    name = stored["file"]
    os.rename(os.path.join(root, name), os.path.join(root, f"{name}.rotating"))

    keys.rotate()

    assert protected_files.exists(name)
    assert not protected_files.exists(f"{name}.rotating")
    assert protected_files.under_first_key(name)


@pytest.mark.django_db(transaction=True)
def test_a_save_during_a_batch_waits_and_is_never_overwritten(
    require_postgresql, k1, settings, monkeypatch
):
    """Rotation holds its batch's rows locked from reading to writing: a concurrent change waits
    for the batch to commit, then lands; the batch never writes back an older value over it."""
    import threading

    from cases.models import Person
    from project.crypto import encrypted_fields

    settings.FIELD_ENCRYPTION_KEYS = [k1]
    person = Person.objects.create(name=canary("before"), address="1 Made-up Street")
    settings.FIELD_ENCRYPTION_KEYS = [K2, k1]
    inside, release = threading.Event(), threading.Event()
    real_opens = keys._opens

    def opens_then_wait(first, raw):  # type: ignore[no-untyped-def]
        inside.set()  # the batch has read its rows under the lock
        assert release.wait(30)
        return real_opens(first, raw)

    def rotate_people() -> None:
        from django.db import connection

        fields = dict(encrypted_fields())[Person]
        keys._rotate_table(Person, fields, "test", 100, None)
        connection.close()

    def change_name() -> None:
        from django.db import connection

        row = Person.objects.get(pk=person.pk)
        row.name = canary("after")
        row.save()
        connection.close()

    monkeypatch.setattr(keys, "_opens", opens_then_wait)
    rotation = threading.Thread(target=rotate_people)
    rotation.start()
    assert inside.wait(30)
    change = threading.Thread(target=change_name)
    change.start()
    change.join(1.0)
    assert change.is_alive()  # waiting for the batch's row lock
    release.set()
    rotation.join(30)
    change.join(30)
    settings.FIELD_ENCRYPTION_KEYS = [K2]
    assert Person.objects.get(pk=person.pk).name == canary("after")
    assert "cases_person.name" not in keys.remaining()
