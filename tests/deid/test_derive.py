"""The pure derivation: k and l checked by pycanon on every output, pseudonyms stable within a
derivation and unlinkable across derivations, no direct identifier left, suppression within
limits, and a clear refusal for every impossible request."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycanon import anonymity

from accord.deid.derive import derive
from accord.deid.pseudonyms import new_key, pseudonym
from accord.deid.spec import parse_spec
from accord.errors import InvalidInput
from tests.deid.conftest import as_table, frame, patients, spec

QUASI = ["age", "admitted", "postcode", "region", "sex"]
DIRECT = ["name", "email", "phone"]


def run(
    records: list[dict[str, str]] | pa.Table, document: dict[str, Any], key: bytes = b""
) -> Any:
    table = records if isinstance(records, pa.Table) else as_table(records)
    return derive(
        table,
        parse_spec(document),
        key or new_key(),
        output_format="csv",
        software="accord test",
        rng=np.random.default_rng(0),
    )


@pytest.mark.parametrize("k", [4, 10, 25])
def test_declared_k_holds_by_pycanon(k: int) -> None:
    derived = run(patients(), spec(k=k))
    assert anonymity.k_anonymity(frame(derived.table), QUASI) >= k
    assert derived.report.k_achieved == anonymity.k_anonymity(frame(derived.table), QUASI)
    assert derived.report.records_out + derived.report.records_suppressed == 240


@pytest.mark.parametrize("diversity", [2, 3, 4])
def test_l_diversity_holds_by_pycanon(diversity: int) -> None:
    derived = run(patients(), spec(k=4, l=diversity))
    released = frame(derived.table)
    assert anonymity.l_diversity(released, QUASI, ["diagnosis"]) >= diversity
    assert derived.report.l_achieved["diagnosis"] >= diversity
    assert anonymity.k_anonymity(released, QUASI) >= 4


@settings(max_examples=12, deadline=None)
@given(
    rows=st.integers(min_value=12, max_value=100),
    seed=st.integers(min_value=0, max_value=10_000),
    k=st.integers(min_value=4, max_value=12),
)
def test_k_holds_on_every_output(rows: int, seed: int, k: int) -> None:
    derived = run(patients(rows, seed), spec(k=k))
    assert anonymity.k_anonymity(frame(derived.table), QUASI) >= k


def test_no_direct_identifier_column_survives() -> None:
    records = patients()
    derived = run(records, spec())
    assert not set(DIRECT) & set(derived.table.column_names)
    released = set(derived.table.column("patient_id").to_pylist())
    assert not released & {r["patient_id"] for r in records}
    assert not set(derived.table.column("national_id").to_pylist()) & {
        r["national_id"] for r in records
    }
    assert derived.report.columns.dropped == DIRECT


def test_pseudonyms_are_stable_within_a_derivation() -> None:
    records = patients()
    key = new_key()
    derived = run(records, spec(), key)
    expected = {pseudonym(key, r["patient_id"]) for r in records}
    assert set(derived.table.column("patient_id").to_pylist()) == expected
    people = {r["patient_id"] for r in records}
    assert len(expected) == len(people)  # different people, different pseudonyms


def test_pseudonyms_are_unlinkable_across_derivations() -> None:
    records = patients()
    first = set(run(records, spec()).table.column("patient_id").to_pylist())
    second = set(run(records, spec()).table.column("patient_id").to_pylist())
    assert not first & second


def test_records_beyond_the_limits_are_suppressed_within_the_allowance() -> None:
    document = spec(
        quasi_identifiers=[{"column": "age", "kind": "range", "max_width": 30}],
        k=5,
        max_suppression=0.5,
    )
    derived = run(patients(), document)
    for value in derived.table.column("age").to_pylist():
        if value.startswith("["):
            low, high = (int(v) for v in value.strip("[]").split(", "))
            assert high - low <= 30
    assert derived.report.records_out == derived.table.num_rows


def test_hierarchy_generalisations_show_ancestors_only() -> None:
    derived = run(patients(), spec(k=10))
    allowed = {
        "Kisumu",
        "Nairobi",
        "Mombasa",
        "Geneva",
        "Zurich",
        "Recife",
        "Salvador",
        "Kenya",
        "Switzerland",
        "Brazil",
        "Africa",
        "Europe",
        "America",
        "*",
    }
    assert set(derived.table.column("region").to_pylist()) <= allowed
    for value in derived.table.column("admitted").to_pylist():
        assert value == "*" or len(value) in {4, 7, 10}
    for value in derived.table.column("postcode").to_pylist():
        assert value == "*" or value.endswith("*") or len(value) == 5


def test_report_measures_information_loss() -> None:
    derived = run(patients(), spec(k=5))
    report = derived.report
    loss = report.information_loss
    sizes = frame(derived.table).groupby(QUASI).size()
    assert loss.discernibility == int((sizes**2).sum()) + report.records_suppressed * 240
    assert report.classes == len(sizes)
    assert loss.average_class_size == pytest.approx(240 / len(sizes) / 5, abs=1e-5)
    assert 0 <= loss.ncp <= 1
    assert {c.column for c in loss.columns} == set(QUASI)
    assert sum(b.classes for b in report.class_sizes.buckets) == report.classes
    assert sum(b.records for b in report.class_sizes.buckets) == report.records_out


def test_missing_values_form_their_own_class() -> None:
    records = patients(60)
    for r in records[:12]:
        r["age"] = ""
    derived = run(records, spec(k=3, quasi_identifiers=[{"column": "age", "kind": "range"}]))
    ages = derived.table.column("age").to_pylist()
    assert ages.count(None) >= 3 or "*" in ages
    assert anonymity.k_anonymity(frame(derived.table), ["age"]) >= 3


def test_parquet_types_are_read() -> None:
    table = pa.table(
        {
            "age": pa.array(list(range(40)), pa.int64()),
            "visit": pa.array(["a", "b"] * 20),
        }
    )
    document = {
        "quasi_identifiers": [{"column": "age", "kind": "range"}],
        "keep": ["visit"],
        "k": 8,
        "release": {"tier": "open"},
    }
    derived = run(table, document)
    assert anonymity.k_anonymity(frame(derived.table), ["age"]) >= 8


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (spec(k=241), "deid.k-unreachable"),
        (spec(l=6), "deid.l-unreachable"),
        (spec(keep=["visit", "missing"]), "deid.unknown-column"),
        (
            spec(
                quasi_identifiers=[{"column": "age", "kind": "range", "max_width": 2}],
                max_suppression=0,
            ),
            "deid.too-much-suppression",
        ),
        (
            spec(
                quasi_identifiers=[
                    {"column": "region", "kind": "category", "hierarchy": {"EU": ["Geneva"]}}
                ]
            ),
            "deid.value-outside-hierarchy",
        ),
        (
            spec(quasi_identifiers=[{"column": "region", "kind": "range"}]),
            "deid.bad-value",
        ),
    ],
)
def test_impossible_requests_are_refused(document: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        run(patients(), document)
    assert refused.value.code == code
