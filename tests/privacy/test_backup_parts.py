"""The parts of a backup on their own: the encrypted frame stream refuses every kind of damage, and
pg_dump is given the database password through its environment, never its command line."""

from __future__ import annotations

import hashlib
import io
import struct
import subprocess

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from privacy import backup_database, backup_stream
from privacy.backup_stream import BackupDamagedError, DecryptingReader, EncryptingWriter

PLAIN = bytes(range(256)) * 40  # 10 KiB: ten frames of 1 KiB and a short last one


@pytest.fixture(autouse=True)
def _small_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup_stream, "FRAME_BYTES", 1000)


def _encrypted(data: bytes = PLAIN) -> bytes:
    raw = io.BytesIO()
    writer = EncryptingWriter(raw)
    for start in range(0, len(data), 333):  # written in pieces that do not line up with frames
        writer.write(data[start : start + 333])
    writer.close()
    return raw.getvalue()


def _frames(data: bytes) -> list[bytes]:
    frames, at = [], len(backup_stream.MAGIC)
    while at < len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        frames.append(data[at : at + 4 + size])
        at += 4 + size
    return frames


def _read(data: bytes, block: int = 512) -> bytes:
    reader = DecryptingReader(io.BytesIO(data))
    return b"".join(iter(lambda: reader.read(block), b""))


def test_a_stream_reads_back_as_written_in_any_block_size() -> None:
    data = _encrypted()
    assert len(_frames(data)) == 11
    assert _read(data, 512) == _read(data, 7) == _read(data, 1_000_000) == PLAIN
    assert DecryptingReader(io.BytesIO(data)).read() == PLAIN
    assert _read(_encrypted(b"")) == b""


def test_the_sha256_is_of_the_bytes_written() -> None:
    raw = io.BytesIO()
    writer = EncryptingWriter(raw)
    writer.write(PLAIN)
    writer.close()
    assert writer.sha256 == hashlib.sha256(raw.getvalue()).hexdigest()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda f: f[:3] + f[4:], id="a frame dropped"),
        pytest.param(lambda f: [f[1], f[0], *f[2:]], id="frames swapped"),
        pytest.param(lambda f: f[:-1], id="the last frame cut off"),
        pytest.param(lambda f: [*f, f[-1]], id="a frame added after the last"),
        pytest.param(lambda f: [*f[:-1], f[-1][:-10]], id="cut inside the last frame"),
        pytest.param(lambda f: [*f[:5], f[5][:40] + b"A" + f[5][41:], *f[6:]], id="a byte changed"),
    ],
)
def test_a_damaged_stream_is_refused(damage) -> None:
    frames = _frames(_encrypted())
    data = backup_stream.MAGIC + b"".join(damage(frames))
    with pytest.raises(BackupDamagedError):
        _read(data)


def test_another_key_or_another_file_is_refused(settings) -> None:
    data = _encrypted()
    with pytest.raises(BackupDamagedError, match="not a Lantern backup"):
        _read(b"PK\x03\x04 a zip file")
    settings.BACKUP_KEY = Fernet.generate_key().decode()
    with pytest.raises(BackupDamagedError, match="BACKUP_KEY"):
        _read(data)


def test_pg_tools_get_the_password_in_their_environment_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []

    def run(command, **kwargs):
        calls.append((command, kwargs["env"]))
        return subprocess.CompletedProcess(command, 1, "", "pg_dump: error: made-up failure")

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "made-up-secret-pw")
    with pytest.raises(backup_database.DatabaseBackupError, match="made-up failure") as failed:
        backup_database._run(["pg_dump", "--format=custom", "--file=/dev/null"])
    (command, env) = calls[0]
    assert "made-up-secret-pw" not in " ".join(command)
    assert "made-up-secret-pw" not in str(failed.value)
    assert env["PGPASSWORD"] == "made-up-secret-pw"
    assert env["PGDATABASE"] == connection.settings_dict["NAME"]


@pytest.mark.parametrize("key", ["", "not-a-fernet-key"])
def test_backup_and_restore_refuse_to_run_without_a_backup_key(settings, tmp_path, key) -> None:
    settings.BACKUP_KEY = key
    for command, args in (("backup", ["--out", str(tmp_path)]), ("restore", [str(tmp_path)])):
        with pytest.raises(CommandError, match="BACKUP_KEY"):
            call_command(command, *args)
    assert list(tmp_path.iterdir()) == []
