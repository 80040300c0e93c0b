"""Files kept encrypted in the protected storage (project.protected_files, SECURITY DP-01)."""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from project import protected_files
from project.crypto import UndecryptableValueError
from tests.privacy.canary import canary, find

K1 = Fernet.generate_key().decode()
K2 = Fernet.generate_key().decode()


def _raw(name: str) -> bytes:
    with open(os.path.join(settings.PROTECTED_MEDIA_ROOT, name), "rb") as handle:
        return handle.read()


def test_a_file_comes_back_as_it_went_in_and_is_stored_encrypted(db: None) -> None:
    secret = canary("recording").encode()
    # More than two frames, handed over in odd sizes, so framing and re-chunking are exercised.
    data = secret + os.urandom(150_000) + secret
    pieces = [data[i : i + 7_000] for i in range(0, len(data), 7_000)]

    name = protected_files.save_encrypted(iter(pieces), prefix="recordings")

    assert name.startswith("recordings/")
    assert name.endswith(".enc")
    assert protected_files.exists(name)
    assert b"".join(protected_files.open_decrypted(name)) == data
    assert secret not in _raw(name)
    assert find(canary("recording")) == [f"file.{name} 0"]

    protected_files.delete(name)
    assert not protected_files.exists(name)
    assert find(canary("recording")) == []


def test_names_are_random_not_derived_from_the_content() -> None:
    first = protected_files.save_encrypted(b"same", prefix="recordings")
    second = protected_files.save_encrypted(b"same", prefix="recordings")
    assert first != second
    assert _raw(first) != _raw(second)


def test_an_empty_file_is_kept_and_read_back_empty() -> None:
    name = protected_files.save_encrypted(b"", prefix="exports")
    assert b"".join(protected_files.open_decrypted(name)) == b""


def test_a_file_no_key_opens_raises_before_any_byte_is_streamed(settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [K1]
    name = protected_files.save_encrypted(b"kept", prefix="recordings")
    settings.FIELD_ENCRYPTION_KEYS = [K2]
    with pytest.raises(UndecryptableValueError):
        protected_files.open_decrypted(name)


def test_a_missing_file_raises_when_opened() -> None:
    with pytest.raises(FileNotFoundError):
        protected_files.open_decrypted("recordings/none.enc")


def test_reencrypt_moves_a_file_to_the_first_key_under_the_same_name(settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [K1]
    data = os.urandom(70_000)
    name = protected_files.save_encrypted(data, prefix="recordings")
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    assert not protected_files.under_first_key(name)

    protected_files.reencrypt(name)

    assert protected_files.under_first_key(name)
    settings.FIELD_ENCRYPTION_KEYS = [K2]
    assert b"".join(protected_files.open_decrypted(name)) == data
    assert not protected_files.exists(f"{name}.rotating")


def test_reencrypt_finishes_a_replacement_that_was_cut_short(settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    name = protected_files.save_encrypted(b"kept", prefix="recordings")
    # The process stopped after the old copy was removed and before the new one got its name.
    os.rename(
        os.path.join(settings.PROTECTED_MEDIA_ROOT, name),
        os.path.join(settings.PROTECTED_MEDIA_ROOT, f"{name}.rotating"),
    )
    protected_files.reencrypt(name)
    assert b"".join(protected_files.open_decrypted(name)) == b"kept"
    assert not protected_files.exists(f"{name}.rotating")
