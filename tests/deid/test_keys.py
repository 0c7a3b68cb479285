"""Derivation keys at rest and the pseudonyms they make."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given
from hypothesis import strategies as st

from accord.deid.keys import unwrap, wrap
from accord.deid.pseudonyms import _Hmac, new_key, pseudonym, pseudonymise

NODE_SECRET = bytes(range(32))


def test_wrapped_keys_come_back_only_for_their_derivation() -> None:
    key = new_key()
    sealed = wrap(NODE_SECRET, "drv_A", key)
    assert key not in sealed
    assert unwrap(NODE_SECRET, "drv_A", sealed) == key
    with pytest.raises(InvalidTag):
        unwrap(NODE_SECRET, "drv_B", sealed)
    with pytest.raises(InvalidTag):
        unwrap(bytes(32), "drv_A", sealed)


@given(key=st.binary(min_size=1, max_size=100), value=st.text(max_size=50))
def test_precomputed_hmac_is_rfc_2104(key: bytes, value: str) -> None:
    expected = hmac.new(key, value.strip().encode(), hashlib.sha256).hexdigest()[:20]
    assert _Hmac(key).pseudonym(value) == pseudonym(key, value) == expected


def test_missing_values_stay_missing() -> None:
    import pyarrow as pa

    out = pseudonymise(new_key(), pa.array(["a", None, "a", "b"]))
    values = out.to_pylist()
    assert values[1] is None and values[0] == values[2] != values[3]
