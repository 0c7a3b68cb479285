"""RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form of an entry and a record.

For JSON made of strings, booleans, null, lists, objects whose keys hold no character beyond
U+FFFF, and integers within ±(2**53 - 1), Python's ``json.dumps`` with sorted keys, no spaces and
``ensure_ascii=False`` writes exactly the JCS bytes (same escapes, same key order, integers
printed as ECMAScript prints them), at a quarter of the cost of the general encoder. Anything
else (floats above all) goes to the ``rfc8785`` package. A property test holds the two to the
same output.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1

_dumps = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
).encode


class CanonicalJSONError(ValueError):
    """The value has no RFC 8785 form (a float NaN, an integer beyond 2**53, a non-str key...)."""


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of ``value``."""
    if _plain(value):
        try:
            return _dumps(value).encode()
        except UnicodeEncodeError:
            raise CanonicalJSONError("a string holds a lone surrogate") from None
    try:
        return rfc8785.dumps(value)
    except (ValueError, TypeError) as exc:  # rfc8785's errors are ValueErrors
        raise CanonicalJSONError(f"no canonical JSON for this value: {exc}") from exc


def _plain(value: Any) -> bool:
    """True when ``json.dumps`` and RFC 8785 agree on ``value`` byte for byte."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    if isinstance(value, dict):
        return all(isinstance(k, str) and _bmp(k) and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return False


def _bmp(key: str) -> bool:
    """Keys beyond U+FFFF sort differently by code point (Python) and UTF-16 unit (RFC 8785)."""
    return key.isascii() or max(key) <= "\uffff"
