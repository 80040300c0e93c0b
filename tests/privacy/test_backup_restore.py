"""The backup and restore drill (SECURITY C-8, AV-07, DP-09 restore): seed, back up, lose the
database and the files, restore, and find everything back as it was. Runs on SQLite here and on
PostgreSQL in the real-parts run (pg_dump / pg_restore into the test database); it never skips."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cases import audit_chain
from cases.models import AccessLog, CaseNote, Person, Report
from cases.services import IncomingReport, open_case
from notifications.models import Notification
from privacy import backup_database
from project import protected_files
from tests.factories import CasePersonFactory, OrganisationFactory, PersonFactory, StaffFactory
from tests.privacy.canary import canary, find

VICTIM = canary("victimname")
VICTIM_ADDRESS = canary("victimaddress")
OTHER = canary("othername")
BODY = canary("smsbody")
NOTE = canary("casenote")
MESSAGE = canary("portalmessage")
RECORDING = canary("recording")


@pytest.fixture(autouse=True)
def _own_protected_files(settings, tmp_path: Path) -> None:
    """Each drill has protected storage of its own, so it counts only its own files."""
    settings.PROTECTED_MEDIA_ROOT = tmp_path / "protected"
    protected = {**settings.STORAGES["protected"]}
    protected["OPTIONS"] = {**protected["OPTIONS"], "location": str(settings.PROTECTED_MEDIA_ROOT)}
    settings.STORAGES = {**settings.STORAGES, "protected": protected}


@pytest.fixture(autouse=True)
def _empty_access_log(transactional_db: None) -> Iterator[None]:
    """The access log is append-only (a trigger refuses DELETE): before pytest-django empties the
    tables, the rows go the one way allowed, a prune."""
    yield
    audit_chain.prune(timezone.now() + timedelta(days=1))


def _seed() -> Person:
    """A small data set touching every kind of record; returns the victim of the first case."""
    helpline = OrganisationFactory(slug="drill-helpline")
    operator = StaffFactory(organisation=helpline)
    victim = None
    for n in range(3):
        case, _ = open_case(
            helpline=helpline,
            report=IncomingReport(
                channel="sms", source_id=f"SM-drill-{n}", sender="+447700900301", body=BODY
            ),
        )
        person = PersonFactory(name=VICTIM if n == 0 else OTHER, phone="+447700900301")
        CasePersonFactory(case=case, person=person)
        person.address = VICTIM_ADDRESS if n == 0 else "made-up road"
        person.save()  # a second history row
        victim = victim or person
        CaseNote.objects.create(
            case=case, organisation=helpline, author=operator, text=f"{NOTE} {n}"
        )
        Notification.objects.create(
            person=person,
            case=case,
            channel=Notification.Channel.PORTAL,
            kind="portal.reply",
            text=MESSAGE,
        )
        Notification.objects.create(
            recipient=operator,
            case=case,
            channel=Notification.Channel.IN_APP,
            kind="case.message_received",
            text="A new message on a case.",
        )
        AccessLog.objects.create(user=operator, case=case, action=AccessLog.Action.VIEW, via="web")
    report = Report.objects.order_by("pk").first()
    report.recording_file = protected_files.save_encrypted(RECORDING.encode(), prefix="recordings")
    report.save()
    return victim


def _digest() -> dict[str, str]:
    """Per model, a checksum of every row's values as Lantern reads them (decrypted), history
    included; and of every protected file."""
    digests = {}
    for model in apps.get_models(include_auto_created=True):
        fields = [field.attname for field in model._meta.concrete_fields]
        digest = hashlib.sha256()
        for row in model._base_manager.order_by("pk").iterator():
            digest.update(repr([getattr(row, name) for name in fields]).encode())
        digests[model._meta.label] = digest.hexdigest()
    for name in protected_files.walk():
        with storages["protected"].open(name, "rb") as handle:
            digests[f"file {name}"] = hashlib.sha256(handle.read()).hexdigest()
    return digests


def _backup(tmp_path: Path) -> Path:
    out = io.StringIO()
    call_command("backup", out=str(tmp_path / "backups"), stdout=out)
    path = Path(out.getvalue().splitlines()[0])
    assert re.fullmatch(r"lantern-\d{8}T\d{6}Z\.backup", path.name)
    assert f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}" in out.getvalue()
    return path


def _wipe() -> None:
    """Lose everything: every table dropped, every protected file deleted."""
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in tables:
                cursor.execute(f'DROP TABLE "{table}"')
            cursor.execute("PRAGMA foreign_keys = ON")
    assert connection.introspection.table_names() == []
    shutil.rmtree(settings.PROTECTED_MEDIA_ROOT)


def _restore(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *args, stdout=out)
    print(out.getvalue())  # noqa: T201 - the time to restore is the drill's record (AV-07)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_backup_wipe_and_restore_give_every_record_and_file_back(tmp_path: Path) -> None:
    _seed()
    before = _digest()
    assert find(VICTIM, BODY, NOTE, MESSAGE, RECORDING)  # planted where the sweep can see

    path = _backup(tmp_path)
    raw = path.read_bytes()
    for planted in (VICTIM, BODY, NOTE, MESSAGE, RECORDING, "drill-helpline"):
        assert planted.encode() not in raw  # the backup is encrypted as a whole
    _wipe()
    output = _restore(path)  # an empty database needs no --yes

    assert _digest() == before
    assert re.search(r"tables: (\d+) of \1 match the backup \(rows and checksums\)", output)
    assert "files: 1 restored" in output
    assert re.search(r"time: [\d.]+ s", output)
    assert [p.name for p in path.parent.iterdir()] == [
        path.name
    ]  # no decrypted part is left  # the decrypted parts are gone


@pytest.mark.django_db(transaction=True)
def test_restore_erases_again_a_person_erased_after_the_backup(tmp_path: Path) -> None:
    victim = _seed()
    path = _backup(tmp_path)
    call_command("erase_person", str(victim.pk), reason="made-up erasure request")
    assert find(VICTIM, VICTIM_ADDRESS) == []

    _wipe()
    output = _restore(path)

    assert find(VICTIM, VICTIM_ADDRESS) == []
    assert find(OTHER)  # only the erased person goes
    assert "erasures: 1 re-applied" in output


@pytest.mark.django_db(transaction=True)
def test_a_tampered_or_cut_short_backup_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    _seed()
    path = _backup(tmp_path)
    before = _digest()
    good = path.read_bytes()
    tampered = bytearray(good)
    tampered[len(good) // 2] ^= 0x01
    damaged = {
        "changed": bytes(tampered),
        "cut": good[: len(good) - 100],
        "cut at a frame": good[: len(good) // 2],
        "extended": good + b"more",
    }
    for label, content in damaged.items():
        path.write_bytes(content)
        with pytest.raises(CommandError, match="Not restored") as refused:
            _restore(path, "--yes")
        assert re.search(r"changed|cut short|damaged|after its end|not readable", str(refused)), (
            label
        )
    assert _digest() == before

    path.write_bytes(good)
    with pytest.raises(CommandError, match="sha256 is not the one given"):
        _restore(path, "--yes", "--sha256", "0" * 64)


@pytest.mark.django_db(transaction=True)
def test_restore_replaces_a_database_with_data_only_when_told_to(tmp_path: Path) -> None:
    _seed()
    path = _backup(tmp_path)
    PersonFactory(name=canary("after"))

    with pytest.raises(CommandError, match="not empty"):
        _restore(path)
    assert find(canary("after"))

    _restore(path, "--yes")
    assert find(canary("after")) == []
    assert find(VICTIM)


@pytest.mark.django_db(transaction=True)
def test_a_restore_that_does_not_bring_the_rows_back_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed()
    path = _backup(tmp_path)
    assert Person.objects.update(age=40)  # the same number of rows, other values
    monkeypatch.setattr(backup_database, "load", lambda source: None)  # a load that did nothing

    out = io.StringIO()
    with pytest.raises(CommandError, match="finished with problems"):
        call_command("restore", str(path), "--yes", stdout=out)
    assert "  cases_person: 3 rows (the backup has 3), or other rows" in out.getvalue()
