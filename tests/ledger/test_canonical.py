"""The fast canonical encoder writes exactly what the rfc8785 package writes."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from accord.ledger.canonical import MAX_SAFE_INTEGER, CanonicalJSONError, canonical_json

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"]))
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(alphabet=st.characters(exclude_categories=["Cs"])), children)
    ),
    max_leaves=30,
)


@given(json_values)
def test_same_bytes_as_rfc8785(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {"\U0001f600": 1, "\ufb01": 2, "a": 3},
        {"text": 'tab\there \u2028 \x7f \x00 \x1f quote" backslash\\'},
        [1e21, 1e-7, 0.1, -0.0, 5e-324],
        {"n": MAX_SAFE_INTEGER, "m": -MAX_SAFE_INTEGER},
    ],
)
def test_corner_cases(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), 2**53, {1: "int key"}, "\ud800", {"a": object()}],
)
def test_values_without_canonical_form(value: Any) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(value)
