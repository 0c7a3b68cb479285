"""Demo content: a controlled-tier table of synthetic hospital admissions with direct
identifiers, and its published k-anonymous derivative for the registered tier.

Every name, phone number and id below is generated from fixed lists and a fixed seed; nothing
resembles a real person.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.catalog.metadata import parse_metadata
from accord.deid import service
from accord.identity.principal import Principal
from accord.node import node_of
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks

if TYPE_CHECKING:
    from accord.demo import DemoContext

ROWS = 600
PATH = "data/admissions.csv"
GIVEN = ("Achieng", "Baraka", "Chebet", "Daudi", "Esther", "Faraji", "Imani", "Jabari", "Zawadi")
FAMILY = ("Odhiambo", "Wanjala", "Kiprono", "Mutua", "Nyambura", "Omondi", "Wafula", "Atieno")
SUB_COUNTIES = {
    "Kisumu": {
        "Kisumu urban": ["Kisumu Central", "Kisumu East", "Kisumu West"],
        "Kisumu rural": ["Nyando", "Muhoroni", "Nyakach", "Seme"],
    }
}
DIAGNOSES = ("malaria", "pneumonia", "diarrhoea", "tuberculosis", "anaemia", "injury")
SPEC: dict[str, Any] = {
    "drop": ["name", "phone"],
    "pseudonymise": ["patient_number"],
    "quasi_identifiers": [
        {"column": "age", "kind": "range"},
        {"column": "admitted", "kind": "date", "levels": ["month", "year"]},
        {"column": "sub_county", "kind": "category", "hierarchy": SUB_COUNTIES},
        {"column": "sex", "kind": "category", "hierarchy": {"any": ["F", "M"]}},
    ],
    "sensitive": ["diagnosis"],
    "keep": ["days_in_hospital"],
    "k": 10,
    "l": 2,
    "release": {"tier": "registered", "licence": "CC-BY-4.0"},
}


def seed_deid(session: Session, operator: Principal, context: DemoContext) -> None:
    """Publish the source table, then derive and publish its k-anonymous version.

    The source is committed first: a derivation reads only committed, published versions.
    """
    source = catalog.create_dataset(session, operator, parse_metadata(_metadata(context)))
    blob = ingest_chunks(blob_store_of(node_of(session)), [_admissions_csv(seed=11)])
    catalog.add_file(session, operator, source.dataset_id, 1, path=PATH, blob=blob)
    catalog.publish(session, operator, source.dataset_id, 1)
    session.commit()
    ref = service.SourceRef(source.dataset_id, 1, PATH)
    service.run(session, operator, ref, SPEC, publish=True)


def _metadata(context: DemoContext) -> dict[str, Any]:
    return {
        "titles": [{"title": "Kisumu County hospital admissions 2022–2023 (synthetic)"}],
        "creators": [{"name": "Odhiambo, Achieng", "given_name": "Achieng"}],
        "publisher": {"name": "Nairobi Centre for Genomic Medicine"},
        "descriptions": [
            {
                "description": "Admissions to county hospitals with each patient's number, "
                "name, phone, age, sub-county and diagnosis. Synthetic data for the Accord "
                "demonstration node; a k-anonymous derivative is published for wider use."
            }
        ],
        "rights_list": [{"rights_identifier": "CC-BY-NC-4.0"}],
        "subjects": [{"subject": "Hospitalization", "subject_scheme": "MeSH"}],
        "keywords": ["admissions", "hospital", "synthetic"],
        "dates": [{"date": "2022-01/2023-12", "date_type": "Collected"}],
        "tier": "controlled",
        "organisation_id": context.orgs["KE"],
        "country_of_origin": "KE",
    }


def _admissions_csv(seed: int) -> bytes:
    rng = random.Random(seed)
    wards = [w for group in SUB_COUNTIES["Kisumu"].values() for w in group]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "patient_number",
            "name",
            "phone",
            "age",
            "sex",
            "sub_county",
            "admitted",
            "diagnosis",
            "days_in_hospital",
        ]
    )
    for row in range(ROWS):
        person = rng.randrange(ROWS) if row % 4 == 0 else row
        writer.writerow(
            [
                f"KSM-{person:05d}",
                f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                f"+254 7{rng.randrange(10)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}",
                rng.randrange(0, 90),
                rng.choice("FM"),
                rng.choice(wards),
                (date(2022, 1, 1) + timedelta(days=rng.randrange(730))).isoformat(),
                rng.choice(DIAGNOSES),
                rng.randrange(1, 15),
            ]
        )
    return out.getvalue().encode()
