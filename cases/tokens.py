"""Keyed blind tokens that let staff find a person by a name spelt another way, without a
plaintext or unkeyed copy of any name (SECURITY.md DP-03; issue 12).

A name is folded to Latin letters (anyascii: "María" → "maria", "Мария" → "mariya"), split into
words, and each word gives two kinds of token: the word itself and its Double Metaphone codes
("jon" and "john" share JN). Every token is an HMAC under the blind-index key with its kind in the
input, so a token says nothing without the key and a word token never equals a sound token."""

from __future__ import annotations

import re
from dataclasses import dataclass

from anyascii import anyascii
from metaphone import doublemetaphone

from project.crypto import blind_index, normalise_text

# 128 bits of the HMAC: collisions stay negligible at millions of people, the index stays small.
TOKEN_LENGTH = 32
_NOT_A_LETTER = re.compile(r"[^a-z0-9]+")


def words(name: str) -> list[str]:
    """A name's words folded to lower-case Latin letters and digits, in order, without repeats."""
    folded = anyascii(normalise_text(name)).lower()
    seen: dict[str, None] = {}
    for word in _NOT_A_LETTER.split(folded):
        if word:
            seen.setdefault(word, None)
    return list(seen)


def _token(kind: str, value: str) -> str:
    return blind_index(f"person-token\x00{kind}\x00{value}")[:TOKEN_LENGTH]


@dataclass(frozen=True)
class WordTokens:
    word: str
    exact: str
    sounds: tuple[str, ...]  # one or two phonetic tokens (Double Metaphone's primary, alternate)


def word_tokens(word: str) -> WordTokens:
    codes = tuple(dict.fromkeys(code for code in doublemetaphone(word) if code))
    return WordTokens(
        word=word,
        exact=_token("word", word),
        sounds=tuple(_token("sound", code) for code in codes),
    )


def name_tokens(name: str) -> set[str]:
    """Every token a stored name is indexed under."""
    tokens: set[str] = set()
    for word in words(name):
        found = word_tokens(word)
        tokens.add(found.exact)
        tokens.update(found.sounds)
    return tokens
