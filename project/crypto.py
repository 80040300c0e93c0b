"""Encryption at rest for victim data, and blind indexes to find it again.

django-fernet-encrypted-fields derives its key from SECRET_KEY and quietly returns ciphertext when a
key is missing. Here the keys are a dedicated list (FIELD_ENCRYPTION_KEYS: the first encrypts, all
decrypt, so keys rotate), and a value that no key opens raises instead of being shown as garbage."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import unicodedata
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from encrypted_fields import fields as encrypted


class UndecryptableValueError(Exception):
    """A stored value could not be decrypted with any configured key."""


def fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    return _fernet(tuple(keys))


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


class _KeyedMixin:
    # Read on every use, not kept on the field: the keys change during a rotation (and in tests).
    @property
    def f(self) -> MultiFernet:
        return fernet()

    def get_prep_value(self, value: Any) -> Any:
        # The library stores "" as NULL; an empty value is kept as "" (it reveals only emptiness).
        if value == "":
            return ""
        return super().get_prep_value(value)  # type: ignore[misc]

    def to_python(self, value: Any) -> Any:
        if value is None or not isinstance(value, str) or hasattr(self, "_already_decrypted"):
            return value
        try:
            value = self.f.decrypt(value.encode()).decode()
        except InvalidToken as exc:
            if value.startswith("gAAAA"):  # a Fernet token we cannot open: fail loudly
                raise UndecryptableValueError(
                    f"{self!r} holds a value no configured key opens"
                ) from exc
        return super().to_python(value)  # type: ignore[misc]


class EncryptedCharField(_KeyedMixin, encrypted.EncryptedCharField):
    pass


class EncryptedTextField(_KeyedMixin, encrypted.EncryptedTextField):
    pass


class EncryptedJSONField(encrypted.EncryptedJSONField):
    """Keys stay readable, every value is encrypted. Each value is stored as its JSON text, so
    True, 3 and None come back as themselves (the library would hand back "True", "3", "None")."""

    @property
    def f(self) -> MultiFernet:
        return fernet()

    def _encrypt_values(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self._encrypt_values(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._encrypt_values(item) for item in value]
        return self.f.encrypt(json.dumps(value).encode()).decode()

    def _decrypt_values(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            return {key: self._decrypt_values(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._decrypt_values(item) for item in value]
        try:
            return json.loads(self.f.decrypt(str(value).encode()))
        except InvalidToken as exc:
            raise UndecryptableValueError(
                f"{self!r} holds a value no configured key opens"
            ) from exc


def is_encrypted(field: object) -> bool:
    return isinstance(field, encrypted.EncryptedFieldMixin)


def normalise_text(value: str) -> str:
    """Case, accents' composition and spacing do not change what a name is."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def blind_index(value: str) -> str:
    """A keyed hash for exact look-ups of a value that is stored only encrypted."""
    return hmac.new(settings.BLIND_INDEX_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
