"""The transformation spec: YAML in, every mistake named with its place."""

from __future__ import annotations

from typing import Any

import pytest

from accord.deid.spec import parse_spec
from accord.errors import InvalidInput
from tests.deid.conftest import spec

YAML = """
format: 1
drop: [name]
pseudonymise: [patient_id]
quasi_identifiers:
  - {column: age, kind: range, max_width: 20}
  - {column: admitted, kind: date, levels: [year]}
  - {column: postcode, kind: prefix, lengths: [3, 1]}
  - column: region
    kind: category
    hierarchy:
      Africa: {Kenya: [Kisumu, Nairobi]}
      Europe: [Geneva]
sensitive: [diagnosis]
k: 10
l: 2
release: {tier: registered, licence: CC-BY-4.0}
"""


def test_yaml_spec() -> None:
    parsed = parse_spec(YAML)
    assert parsed.k == 10 and parsed.l == 2
    assert parsed.qi_columns == ["age", "admitted", "postcode", "region"]
    region = parsed.quasi_identifiers[3]
    assert region.kind == "category"
    assert region.paths() == [
        ("Africa", "Kenya", "Kisumu"),
        ("Africa", "Kenya", "Nairobi"),
        ("Europe", "Geneva"),
    ]
    assert parsed.released_in_clear(["name", "age", "diagnosis", "other"]) == ["diagnosis"]


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"k": 1}, "spec.k"),
        ({"l": 2, "sensitive": []}, "spec"),
        ({"drop": ["age"]}, "spec"),
        ({"quasi_identifiers": []}, "spec"),
        ({"quasi_identifiers": [{"column": "a", "kind": "shuffle"}]}, "spec.quasi_identifiers.0"),
        (
            {"quasi_identifiers": [{"column": "p", "kind": "prefix", "lengths": [1, 3]}]},
            "spec.quasi_identifiers.0.prefix",
        ),
        (
            {"quasi_identifiers": [{"column": "d", "kind": "date", "levels": ["year", "month"]}]},
            "spec.quasi_identifiers.0.date",
        ),
        (
            {
                "quasi_identifiers": [
                    {"column": "c", "kind": "category", "hierarchy": {"A": ["x"], "B": ["x"]}}
                ]
            },
            "spec.quasi_identifiers.0.category",
        ),
        ({"release": {"tier": "secret"}}, "spec.release.tier"),
        ({"max_suppression": 1.5}, "spec.max_suppression"),
        ({"surprise": True}, "spec.surprise"),
    ],
)
def test_invalid_specs_name_the_field(changes: dict[str, Any], location: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_spec(spec(**changes))
    assert refused.value.code == "deid.invalid-spec"
    assert any(e.location.startswith(location) for e in refused.value.errors), refused.value.errors


def test_yaml_syntax_errors_give_the_line() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_spec("k: 10\nrelease: {tier: open\n")
    assert "line" in refused.value.message
