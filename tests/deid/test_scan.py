"""The identifier scan: check-digit rules against published examples, findings per column, and
the refusal to release a flagged identifier in clear."""

from __future__ import annotations

import pyarrow as pa
import pytest

from accord.deid.patterns import cpf_ok, ean13_ok, iban_ok, luhn_ok, verhoeff_ok
from accord.deid.scan import require_handled, scan
from accord.deid.spec import parse_spec
from accord.errors import InvalidInput
from tests.deid.conftest import as_table, patients, spec


@pytest.mark.parametrize(
    ("check", "valid", "invalid"),
    [
        (luhn_ok, "4111 1111 1111 1111", "4111 1111 1111 1112"),  # Visa test number
        (iban_ok, "GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 33"),  # ISO 13616
        (cpf_ok, "529.982.247-25", "529.982.247-26"),  # Receita Federal example
        (ean13_ok, "756.9217.0769.85", "756.9217.0769.84"),  # Swiss AHV sample
        (verhoeff_ok, "2363", "2364"),  # Verhoeff's worked example 236 -> check digit 3
    ],
)
def test_check_digits(check: object, valid: str, invalid: str) -> None:
    assert callable(check)
    assert check(valid) and not check(invalid)


def column(name: str, values: list[str]) -> pa.Table:
    return pa.table({name: pa.array(values)})


@pytest.mark.parametrize(
    ("name", "values", "kind", "evidence"),
    [
        ("contact", [f"user{i}@example.org" for i in range(40)], "email", "values"),
        ("email", [f"user{i}@example.org" for i in range(40)], "email", "name and values"),
        ("x", [f"+41 79 {i:03d} 45 67" for i in range(40)], "phone", "values"),
        ("ref", ["529.982.247-25"] * 40, "national-id", "values"),
        ("card", ["4111111111111111"] * 40, "payment-card", "values"),
        ("acct", ["GB82WEST12345698765432"] * 40, "iban", "values"),
        ("host", [f"10.0.0.{i}" for i in range(40)], "ip-address", "values"),
        ("who", [f"Amina Otieno{chr(97 + i % 26)}" for i in range(40)], "person-name", "values"),
        ("Surname", ["x"] * 40, "person-name", "name"),
        ("passport_no", ["x"] * 40, "national-id", "name"),
        ("record", [f"R{i:05d}" for i in range(40)], "record-key", "values"),
        ("patient_no", [str(1000 + i * 7) for i in range(40)], "record-key", "values"),
        ("Postal Code", ["1201"] * 40, "quasi-identifier", "name"),
    ],
)
def test_findings(name: str, values: list[str], kind: str, evidence: str) -> None:
    findings = scan(column(name, values))
    assert [(f.column, f.kind.value, f.evidence) for f in findings] == [(name, kind, evidence)]


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("diagnosis", ["malaria", "tuberculosis", "none"] * 20),
        ("weight_kg", [f"{60 + i * 0.37:.2f}" for i in range(60)]),
        ("admitted", [f"2021-03-{1 + i % 28:02d}" for i in range(60)]),
        ("district", ["New York", "South Africa", "Cape Town"] * 20),
        ("drug_name", ["Artemether", "Lumefantrine"] * 20),
        ("count", [str(i % 7) for i in range(60)]),
        ("income", [str(20_000 + i * 113) for i in range(60)]),
    ],
)
def test_ordinary_columns_are_not_flagged(name: str, values: list[str]) -> None:
    findings = [f for f in scan(column(name, values)) if f.direct]
    assert findings == []


def test_a_spec_releasing_a_flagged_identifier_is_refused() -> None:
    table = as_table(patients(40))
    findings = scan(table)
    document = spec(drop=["name"], keep=["visit", "email"])
    with pytest.raises(InvalidInput) as refused:
        require_handled(parse_spec(document), table.column_names, findings)
    assert refused.value.code == "deid.identifier-released"
    assert "email (email)" in refused.value.message
    assert "phone" not in refused.value.message  # named nowhere, so dropped
    acknowledged = spec(drop=["name"], keep=["visit", "email"], not_identifiers=["email"])
    require_handled(parse_spec(acknowledged), table.column_names, findings)


def test_other_columns_kept_are_checked_too() -> None:
    table = as_table(patients(40))
    document = spec(drop=[], other_columns="keep")
    with pytest.raises(InvalidInput) as refused:
        require_handled(parse_spec(document), table.column_names, scan(table))
    assert "name" in refused.value.message
