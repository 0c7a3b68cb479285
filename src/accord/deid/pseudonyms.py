"""Keyed pseudonyms: HMAC-SHA-256 (RFC 2104) of a value under the derivation's own key.

The same value gets the same pseudonym everywhere in one derivation (so records of one person
still link, across columns too), and a different one in any other derivation (a fresh random
key each time), so two derivatives cannot be joined on their pseudonyms. Without the key a
pseudonym cannot be reversed or recomputed; destroying the key makes that permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

KEY_BYTES = 32
PSEUDONYM_CHARS = 20
"""80 bits of the HMAC, in hex: collisions stay below 1e-12 for a million distinct values."""


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def pseudonym(key: bytes, value: str) -> str:
    """The pseudonym of one value (whitespace around it is ignored)."""
    digest = hmac.digest(key, value.strip().encode(), hashlib.sha256)
    return digest.hex()[:PSEUDONYM_CHARS]


class _Hmac:
    """HMAC-SHA-256 with the padded key hashed once (RFC 2104 §4, "precomputing" the inner
    and outer states): each value then costs two copies and two short updates."""

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest()
        block = block.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def pseudonym(self, value: str) -> str:
        inner = self._inner.copy()
        inner.update(value.strip().encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:PSEUDONYM_CHARS]


def pseudonymise(key: bytes, column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Replace every value by its pseudonym; missing values stay missing.

    Each distinct value is hashed once (dictionary encoding), so long columns of repeated
    identifiers cost one HMAC per person, not per record.
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    encoded = pc.dictionary_encode(array)
    mac = _Hmac(key)
    names = [None if v is None else mac.pseudonym(v) for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(names, type=pa.string()), encoded.indices)
