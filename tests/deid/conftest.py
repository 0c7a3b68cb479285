"""De-identification fixtures: a synthetic patient table (no real people) published as a CSV
dataset by a steward, and the spec that derives a k-anonymous version of it."""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from accord.identity.permissions import Role
from tests.catalog.conftest import Catalog
from tests.conftest import Account, MakeAccount

GIVEN = ["Amina", "Brian", "Chloé", "David", "Esther", "Faith", "George", "Halima", "Ivan", "Joy"]
FAMILY = ["Otieno", "Silva", "Müller", "Kamau", "Dubois", "Okafor", "Rossi", "Njeri", "Santos"]
REGIONS = ["Kisumu", "Nairobi", "Mombasa", "Geneva", "Zurich", "Recife", "Salvador"]
HIERARCHY = {
    "Africa": {"Kenya": ["Kisumu", "Nairobi", "Mombasa"]},
    "Europe": {"Switzerland": ["Geneva", "Zurich"]},
    "America": {"Brazil": ["Recife", "Salvador"]},
}
PREFIXES = ["401", "402", "403", "501", "502"]
DIAGNOSES = ["malaria", "tuberculosis", "hiv", "influenza", "none"]
SPEC = {
    "drop": ["name", "email", "phone"],
    "pseudonymise": ["patient_id"],
    "quasi_identifiers": [
        {"column": "age", "kind": "range"},
        {"column": "admitted", "kind": "date", "levels": ["month", "year"]},
        {"column": "postcode", "kind": "prefix", "lengths": [3, 1]},
        {"column": "region", "kind": "category", "hierarchy": HIERARCHY},
        {"column": "sex", "kind": "category", "hierarchy": {"any": ["F", "M"]}},
    ],
    "sensitive": ["diagnosis"],
    "keep": ["visit"],
    "k": 5,
    "release": {"tier": "registered"},
}


def cpf(rng: random.Random) -> str:
    """A CPF number with valid check digits (synthetic)."""
    digits = [rng.randrange(10) for _ in range(9)]
    for size in (9, 10):
        total = sum(d * w for d, w in zip(digits, range(size + 1, 1, -1), strict=False))
        digits.append(total * 10 % 11 % 10)
    text = "".join(map(str, digits))
    return f"{text[:3]}.{text[3:6]}.{text[6:9]}-{text[9:]}"


def patients(rows: int = 240, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    records = []
    for n in range(rows):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        person = rng.randrange(rows // 2) if n % 3 == 0 else n  # some people visit twice
        records.append(
            {
                "patient_id": f"KE-{person:05d}",
                "name": f"{given} {family}",
                "email": f"{_ascii(given)}.{_ascii(family)}{n}@example.org",
                "phone": f"+254 7{rng.randrange(10)} {rng.randrange(100, 999)} "
                f"{rng.randrange(1000, 9999)}",
                "national_id": cpf(rng),
                "age": str(rng.randrange(0, 95)),
                "admitted": (date(2021, 1, 1) + timedelta(days=rng.randrange(730))).isoformat(),
                "postcode": f"{rng.choice(PREFIXES)}{rng.randrange(100):02d}",
                "region": rng.choice(REGIONS),
                "sex": rng.choice("FM"),
                "diagnosis": rng.choice(DIAGNOSES),
                "visit": rng.choice(["outpatient", "inpatient"]),
            }
        )
    return records


def _ascii(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()


def as_csv(records: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode()


def as_table(records: list[dict[str, str]]) -> pa.Table:
    return pa.Table.from_pylist(records)


def spec(**changes: Any) -> dict[str, Any]:
    """The standard spec, with ``changes`` replacing top-level fields."""
    document = {**SPEC, "pseudonymise": ["patient_id", "national_id"]}
    document.update(changes)
    return document


def frame(table: pa.Table) -> pd.DataFrame:
    """The released table as pandas, missing values as a visible value for grouping."""
    return table.to_pandas().fillna("(missing)")


@pytest.fixture
def organisation(make_org: Callable[..., str]) -> str:
    return make_org("Nairobi Centre for Genomic Medicine", "KE")


@pytest.fixture
def steward(make_account: MakeAccount, organisation: str) -> Account:
    return make_account(Role.STEWARD, country="KE", organisation_id=organisation)


@pytest.fixture
def catalog(client: TestClient, steward: Account, organisation: str) -> Catalog:
    return Catalog(client, steward, organisation)


@pytest.fixture
def source(catalog: Catalog) -> dict[str, Any]:
    """A published controlled-tier dataset holding the patient table as CSV."""
    return catalog.published(
        {"data/patients.csv": as_csv(patients())},
        tier="controlled",
        titles=[{"title": "Kisumu admissions 2021-2022"}],
    )
