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
from collections.abc import Callable
from json import encoder as json_encoder
from typing import Any

import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1


def _unencodable(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


def _json_dumps() -> Callable[[Any], str]:
    """``json.dumps`` with sorted keys, no spaces, no ASCII escaping.

    The C encoder is made once and called directly (``JSONEncoder.encode`` builds a new one, and
    a closure, on every call); no circular check, as only values :func:`_plain` accepted come
    here."""
    make = getattr(json_encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(
            ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
        ).encode
    chunks = make(
        None, _unencodable, json_encoder.encode_basestring, None, ":", ",", True, False, False
    )
    return lambda value: "".join(chunks(value, 0))


_dumps = _json_dumps()


class CanonicalJSONError(ValueError):
    """The value has no RFC 8785 form (a float NaN, an integer beyond 2**53, a non-str key...)."""


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of ``value``."""
    return encoder_for(value)(value)


def encoder_for(value: Any) -> Callable[[Any], bytes]:
    """The encoder that writes ``value`` in RFC 8785 form: the fast one when it can.

    A value built only from parts of a checked one (and plain strings and small integers) can
    use the same encoder without another check: the ledger checks a record once and encodes both
    the record and the entry made from it."""
    return _fast if _plain(value) else _general


def _fast(value: Any) -> bytes:
    try:
        return _dumps(value).encode()
    except UnicodeEncodeError:
        raise CanonicalJSONError("a string holds a lone surrogate") from None


def _general(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except (ValueError, TypeError) as exc:  # rfc8785's errors are ValueErrors
        raise CanonicalJSONError(f"no canonical JSON for this value: {exc}") from exc


def _plain(value: Any) -> bool:
    """True when ``json.dumps`` and RFC 8785 agree on ``value`` byte for byte.

    Exact types only (a ``str`` subclass takes the general path), scalars checked inline: this
    runs for every entry and record appended."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or max(key) <= "\uffff"):
                return False
            if not _plain_item(item):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:  # noqa: SIM110 (a loop beats all() over a generator here)
            if not _plain_item(item):
                return False
        return True
    return _plain_item(value)


def _plain_item(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
    if kind is dict or kind is list or kind is tuple:
        return _plain(value)
    return False
