"""Encryption at rest for victim data, and blind indexes to find it again.

django-fernet-encrypted-fields derives its key from SECRET_KEY and quietly returns ciphertext when a
key is missing. Here the keys are a dedicated list (FIELD_ENCRYPTION_KEYS: the first encrypts, all
decrypt, so keys rotate), and a value that no key opens raises instead of being shown as garbage."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import unicodedata
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.functions import Cast
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


def blind_index(value: str, *, key: str | None = None) -> str:
    """A keyed hash for exact look-ups of a value that is stored only encrypted."""
    secret = settings.BLIND_INDEX_KEY if key is None else key
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def previous_blind_index_keys() -> list[str]:
    """Keys the blind indexes were made with before the current one (BLIND_INDEX_PREVIOUS_KEYS),
    set while `rotate_keys --blind-index` re-indexes, and while values made under them that
    cannot be recomputed (sign-in codes, whose plaintext is never kept) are still in use."""
    return list(getattr(settings, "BLIND_INDEX_PREVIOUS_KEYS", []))


def blind_indexes(value: str) -> list[str]:
    """The value's index under the current key and each previous one: a look-up with
    `index__in=blind_indexes(value)` finds rows whether or not they are re-indexed yet."""
    return [
        blind_index(value),
        *(blind_index(value, key=key) for key in previous_blind_index_keys()),
    ]


def key_id(key: str) -> str:
    """A short fingerprint that names a key in progress rows and output, never the key itself."""
    return hashlib.sha256(b"lantern-key-id\x00" + key.encode()).hexdigest()[:12]


# A Fernet token: version byte 0x80 in urlsafe base64, then the rest of the token.
FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_=-]+")


def tokens_in(raw: str | None) -> list[str]:
    """The Fernet tokens in a column's stored text (a text column's one token, or the values of an
    encrypted JSON column, however its JSON is quoted)."""
    return FERNET_TOKEN.findall(raw or "")


def encrypted_fields() -> list[tuple[type[models.Model], list[models.Field]]]:
    """Every model with encrypted columns (historical copies included) and those columns."""
    found = []
    for model in apps.get_models():
        fields = [field for field in model._meta.concrete_fields if is_encrypted(field)]
        if fields:
            found.append((model, fields))
    return found


def raw_values(queryset: models.QuerySet, field: models.Field) -> models.QuerySet:
    """(pk, stored text) of a column, read without decrypting it."""
    return queryset.annotate(_raw=Cast(field.attname, models.TextField())).values_list("pk", "_raw")


def unreadable_sample() -> list[str]:
    """Readiness (SECURITY DP-02): "model.field" of each encrypted column whose newest value no
    configured key opens; [] when the keys fit the data. One small query per encrypted column."""
    keys = fernet()
    failing = []
    for model, fields in encrypted_fields():
        if model._meta.label.split(".")[-1].startswith("Historical"):
            continue  # the live tables already tell: history holds copies of the same values
        for field in fields:
            newest = raw_values(model._base_manager.order_by("-pk"), field)[:5]
            token = next((t for _pk, raw in newest for t in tokens_in(raw)), None)
            if token is None:
                continue  # no value in this column yet (or only blanks)
            try:
                keys.decrypt(token.encode())
            except InvalidToken:
                failing.append(f"{model._meta.label}.{field.name}")
    return failing
