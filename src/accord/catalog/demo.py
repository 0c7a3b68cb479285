"""Demo catalogue for ``accord init --demo``: twelve datasets from three organisations (CH, BR,
KE) across all four tiers, each with a synthetic CSV table and its Parquet twin.

Everything goes through the catalog's services (so the ledger records every change) and the
storage ingest (so blobs are verified and stored once). Tables are generated from fixed seeds:
two demo nodes hold byte-identical files. One dataset shows the version lifecycle: version 1
was withdrawn with a reason and version 2 replaced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from accord.catalog import service
from accord.catalog.metadata import parse_metadata
from accord.catalog.synthetic import (
    Column,
    Table,
    choice,
    count,
    day,
    decimal,
    integer,
    sequence,
    to_csv,
    to_parquet,
    yes_no,
)
from accord.identity.principal import Principal
from accord.node import node_of
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks

if TYPE_CHECKING:
    from accord.demo import DemoContext

DEMO_PERSON_ORCID = "0000-0002-1825-0097"  # ORCID's documented example iD (a fictional person)

MESH = "MeSH"
MESH_URI = "https://id.nlm.nih.gov/mesh/"
FOS = "Fields of Science and Technology (OECD)"

PUBLISHERS = {
    "CH": "Geneva Institute for Population Health",
    "BR": "Instituto Nacional de Saúde Coletiva",
    "KE": "Nairobi Centre for Genomic Medicine",
}


@dataclass(frozen=True)
class DemoDataset:
    key: str
    country: str
    tier: str
    licence: str
    title: str
    description: str
    subjects: tuple[tuple[str, str], ...]
    keywords: tuple[str, ...]
    creators: tuple[str, ...]
    table: Table
    collected: str
    language: str = "en"
    place: str | None = None
    funder: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


WEEKS = integer(1, 52)
BR_STATES = ("PE", "BA", "SP", "RJ", "AM", "CE", "MG", "PA")
KE_COUNTIES = ("Kisumu", "Siaya", "Homa Bay", "Migori", "Busia", "Kakamega", "Nairobi")
CH_CANTONS = ("GE", "VD", "VS", "FR", "NE", "BE", "ZH", "TI")

DATASETS: tuple[DemoDataset, ...] = (
    DemoDataset(
        "heat-panel", "CH", "open", "CC-BY-4.0",
        "Household panel on heat exposure and health, western Switzerland 2019–2023",
        "Yearly panel of households in six cantons reporting indoor temperature during "
        "heatwaves, heat-related symptoms and use of cooling. Synthetic demonstration data.",
        (("Hot Temperature", MESH), ("Climate Change", MESH), ("Health sciences", FOS)),
        ("heatwave", "older adults", "panel survey"),
        ("Haddad, Amira", "Fischer, Lena"),
        Table((Column("household", sequence("HH")), Column("canton", choice(CH_CANTONS)),
               Column("year", integer(2019, 2023)), Column("max_indoor_c", decimal(24, 34, 1)),
               Column("symptoms", yes_no(0.18)), Column("cooling", yes_no(0.4))), 240),
        "2019-06/2023-09", place="Romandy, Switzerland", funder="Swiss National Science Foundation",
    ),
    DemoDataset(
        "asthma-air", "CH", "registered", "CC-BY-NC-4.0",
        "Air pollution (PM2.5, NO2) and paediatric asthma admissions, Geneva 2015–2022",
        "Daily counts of asthma admissions of children under 16 with same-day PM2.5 and NO2 "
        "concentrations from cantonal monitoring stations.",
        (("Asthma", MESH), ("Air Pollution", MESH), ("Pediatrics", MESH)),
        ("PM2.5", "nitrogen dioxide", "time series"),
        ("Fischer, Lena", "Tanaka, Mei"),
        Table((Column("date", day(date(2015, 1, 1), 2922)), Column("pm25", decimal(2, 60, 1)),
               Column("no2", decimal(5, 90, 1)), Column("admissions", count(3))), 365),
        "2015-01-01/2022-12-31", place="Geneva",
    ),
    DemoDataset(
        "antibiotics", "CH", "open", "CC0-1.0",
        "Hospital antibiotic consumption by ward, canton of Vaud 2018–2023",
        "Defined daily doses per 100 bed-days by ward type and antibiotic class, from hospital "
        "pharmacy records, for antimicrobial stewardship benchmarking.",
        (("Anti-Bacterial Agents", MESH), ("Antimicrobial Stewardship", MESH)),
        ("DDD", "hospital pharmacy", "AMR"),
        ("Haddad, Amira", "Josiah Carberry"),
        Table((Column("ward", choice(("ICU", "surgery", "medicine", "paediatrics"))),
               Column("year", integer(2018, 2023)),
               Column("class", choice(("penicillins", "cephalosporins", "carbapenems",
                                       "fluoroquinolones", "macrolides"))),
               Column("ddd_per_100_bed_days", decimal(0.5, 45, 2))), 180),
        "2018/2023", place="Vaud",
    ),
    DemoDataset(
        "long-covid", "CH", "controlled", "CC-BY-NC-4.0",
        "Long COVID symptom cohort, 24-month follow-up of adults",
        "Prospective cohort of adults after confirmed SARS-CoV-2 infection with symptom scores "
        "at 3, 6, 12 and 24 months. Pseudonymised; access needs a committee decision.",
        (("Post-Acute COVID-19 Syndrome", MESH), ("Cohort Studies", MESH)),
        ("fatigue", "follow-up", "questionnaire"),
        ("Tanaka, Mei", "Haddad, Amira"),
        Table((Column("participant", sequence("P")),
               Column("month", choice(("3", "6", "12", "24"))),
               Column("fatigue_score", integer(0, 33)), Column("dyspnoea", yes_no(0.22)),
               Column("age_band", choice(("18-39", "40-59", "60+")))), 320),
        "2020-06/2023-12", funder="Swiss National Science Foundation",
    ),
    DemoDataset(
        "dengue", "BR", "open", "CC-BY-4.0",
        "Notificações de dengue por município e semana epidemiológica, 2014–2024",
        "Weekly notified dengue cases and incidence per 100,000 inhabitants by municipality, "
        "aggregated from the national notifiable diseases system.",
        (("Dengue", MESH), ("Disease Notification", MESH), ("Epidemiology", MESH)),
        ("arbovirus", "surveillance", "Aedes aegypti"),
        ("Pereira, João", "Ruiz, Carlos"),
        Table((Column("state", choice(BR_STATES)),
               Column("municipality_code", integer(1100015, 5300108)),
               Column("year", integer(2014, 2024)), Column("week", WEEKS),
               Column("cases", count(25)), Column("incidence_100k", decimal(0, 400, 1))), 400),
        "2014/2024", language="pt", place="Brazil", funder="Ministério da Saúde",
    ),
    DemoDataset(
        "zika", "BR", "restricted", "CC-BY-NC-4.0",
        "Congenital Zika syndrome case series, Pernambuco 2015–2017",
        "Clinical and imaging findings of infants with congenital Zika syndrome. Identifiable "
        "health data: analysed in the node's sandbox only.",
        (("Zika Virus Infection", MESH), ("Microcephaly", MESH)),
        ("congenital infection", "case series"),
        ("Pereira, João",),
        Table((Column("case", sequence("ZK")), Column("head_circumference_z", decimal(-5, -1, 2)),
               Column("calcifications", yes_no(0.7)), Column("birth_month", integer(1, 12))), 150),
        "2015-08/2017-12", language="pt", place="Pernambuco",
    ),
    DemoDataset(
        "primary-care", "BR", "registered", "ODbL-1.0",
        "Primary care visits in the Family Health Strategy, aggregated by state and month",
        "Monthly counts of primary care consultations, home visits and vaccinations recorded by "
        "family health teams, aggregated by state.",
        (("Primary Health Care", MESH), ("Health services research", FOS)),
        ("family health", "consultations", "vaccination"),
        ("Ruiz, Carlos", "Pereira, João"),
        Table((Column("state", choice(BR_STATES)), Column("month", integer(1, 12)),
               Column("year", integer(2019, 2023)), Column("consultations", count(5000)),
               Column("home_visits", count(900)), Column("vaccinations", count(1200))), 300),
        "2019/2023", language="pt",
    ),
    DemoDataset(
        "tuberculosis", "BR", "open", "CC-BY-4.0",
        "Tuberculosis treatment outcomes by municipality, 2010–2022",
        "Cure, abandonment and death rates among new pulmonary tuberculosis cases by year of "
        "diagnosis and municipality.",
        (("Tuberculosis, Pulmonary", MESH), ("Treatment Outcome", MESH)),
        ("TB", "treatment adherence"),
        ("Ruiz, Carlos",),
        Table((Column("state", choice(BR_STATES)), Column("year", integer(2010, 2022)),
               Column("new_cases", count(60)), Column("cured_pct", decimal(55, 90, 1)),
               Column("abandoned_pct", decimal(3, 20, 1))), 260),
        "2010/2022", language="pt", place="Brazil",
    ),
    DemoDataset(
        "pf-resistance", "KE", "controlled", "CC-BY-4.0",
        "Plasmodium falciparum drug-resistance markers from western Kenya clinics",
        "Genotypes at kelch13, pfcrt and pfmdr1 from dried blood spots of malaria patients at "
        "sentinel clinics, with collection site and month.",
        (("Plasmodium falciparum", MESH), ("Drug Resistance", MESH), ("Genomics", MESH)),
        ("kelch13", "antimalarial", "molecular surveillance"),
        ("Kamau, Wanjiru", "Okoye, Samuel"),
        Table((Column("sample", sequence("DBS")), Column("county", choice(KE_COUNTIES[:6])),
               Column("kelch13", choice(("wild", "A675V", "C469Y"), (0.9, 0.06, 0.04))),
               Column("pfcrt_k76t", choice(("K", "T"), (0.8, 0.2))),
               Column("pfmdr1_n86y", choice(("N", "Y"), (0.85, 0.15)))), 280),
        "2021-01/2023-06", place="Western Kenya", funder="Wellcome Trust",
    ),
    DemoDataset(
        "malaria-households", "KE", "open", "CC-BY-4.0",
        "Household malaria survey with bed net use, Kisumu county 2021",
        "Cross-sectional survey of households: bed net ownership and use, rapid diagnostic test "
        "results and household size.",
        (("Malaria", MESH), ("Insecticide-Treated Bednets", MESH), ("Public health", FOS)),
        ("bed nets", "household survey", "RDT"),
        ("Kamau, Wanjiru",),
        Table((Column("household", sequence("KSM")), Column("sub_county", choice(("Kisumu East",
               "Kisumu West", "Nyando", "Muhoroni", "Seme"))), Column("members", integer(1, 9)),
               Column("nets_owned", integer(0, 4)), Column("slept_under_net", yes_no(0.62)),
               Column("rdt_positive", yes_no(0.19))), 300),
        "2021-03/2021-09", language="sw", place="Kisumu county",
    ),
    DemoDataset(
        "sickle-cell", "KE", "restricted", "CC-BY-NC-4.0",
        "Sickle cell disease newborn screening results, Nairobi",
        "Haemoglobin electrophoresis results from newborn screening with follow-up enrolment. "
        "Rare-disease data: sandbox analysis only.",
        (("Anemia, Sickle Cell", MESH), ("Neonatal Screening", MESH)),
        ("haemoglobinopathy", "newborn"),
        ("Okoye, Samuel", "Kamau, Wanjiru"),
        Table((Column("screen", sequence("NBS")), Column("result", choice(("AA", "AS", "SS"),
               (0.82, 0.16, 0.02))), Column("enrolled", yes_no(0.5)),
               Column("birth_weight_g", integer(1800, 4500))), 220),
        "2022-01/2023-12", place="Nairobi",
    ),
    DemoDataset(
        "antenatal-hiv", "KE", "registered", "CC-BY-SA-4.0",
        "Antenatal care attendance and HIV testing, Kenyan counties 2016–2022",
        "Annual antenatal first visits, four-visit completion and HIV testing coverage by "
        "county, from the health information system.",
        (("Prenatal Care", MESH), ("HIV Infections", MESH), ("Mass Screening", MESH)),
        ("ANC", "PMTCT", "coverage"),
        ("Okoye, Samuel",),
        Table((Column("county", choice(KE_COUNTIES)), Column("year", integer(2016, 2022)),
               Column("anc1", count(8000)), Column("anc4_pct", decimal(40, 75, 1)),
               Column("hiv_tested_pct", decimal(80, 99, 1))), 200),
        "2016/2022",
    ),
)  # fmt: skip

PUBLICATION_YEARS = {
    "heat-panel": 2024,
    "asthma-air": 2023,
    "antibiotics": 2024,
    "long-covid": 2025,
    "dengue": 2025,
    "zika": 2019,
    "primary-care": 2024,
    "tuberculosis": 2023,
    "pf-resistance": 2024,
    "malaria-households": 2022,
    "sickle-cell": 2025,
    "antenatal-hiv": 2023,
}
CORRECTED = "antibiotics"
WITHDRAWAL_REASON = (
    "Ward codes for 2018 were mapped to the wrong ward types; corrected in version 2."
)


def seed_catalog(session: Session, operator: Principal, context: DemoContext) -> None:
    """Publish the demo datasets; correct one by withdrawing v1 and publishing v2."""
    for number, spec in enumerate(DATASETS, start=1):
        dataset_id = _publish(session, operator, context, spec, seed=number)
        if spec.key == CORRECTED:
            _correct(session, operator, dataset_id, spec, seed=1000 + number)
        session.flush()


def metadata_for(spec: DemoDataset, context: DemoContext) -> dict[str, Any]:
    """A full DataCite-style metadata document for a demo dataset."""
    document: dict[str, Any] = {
        "titles": [{"title": spec.title, "lang": spec.language}],
        "creators": [_creator(name) for name in spec.creators],
        "publisher": {"name": PUBLISHERS[spec.country]},
        "publication_year": PUBLICATION_YEARS[spec.key],
        "resource_type": {"resource_type_general": "Dataset", "resource_type": "Tabular data"},
        "descriptions": [
            {"description": spec.description, "description_type": "Abstract", "lang": "en"},
            {
                "description": "Synthetic data generated for the Accord demonstration node.",
                "description_type": "Methods",
            },
        ],
        "subjects": [
            {"subject": subject, "subject_scheme": scheme}
            | ({"scheme_uri": MESH_URI} if scheme == MESH else {})
            for subject, scheme in spec.subjects
        ],
        "keywords": list(spec.keywords),
        "dates": [{"date": spec.collected, "date_type": "Collected"}],
        "languages": [spec.language],
        "formats": ["text/csv", "application/vnd.apache.parquet"],
        "rights_list": [{"rights_identifier": spec.licence}],
        "tier": spec.tier,
        "organisation_id": context.orgs[spec.country],
        "stewards": [context.users["steward"]] if "steward" in context.users else [],
        "country_of_origin": spec.country,
    }
    if spec.place:
        document["geo_locations"] = [{"geo_location_place": spec.place}]
    if spec.funder:
        document["funding_references"] = [{"funder_name": spec.funder}]
    if spec.tier == "registered":
        document["terms_of_use"] = (
            "Use these data for non-commercial health research only; cite the dataset; do not "
            "link them with other data to identify any person or household."
        )
    return document | spec.extra


def _creator(name: str) -> dict[str, Any]:
    if name == "Josiah Carberry":
        return {
            "name": "Carberry, Josiah",
            "given_name": "Josiah",
            "family_name": "Carberry",
            "name_identifiers": [
                {"name_identifier_scheme": "ORCID", "name_identifier": DEMO_PERSON_ORCID}
            ],
        }
    family, _, given = name.partition(", ")
    return {"name": name, "given_name": given, "family_name": family}


def _publish(
    session: Session, operator: Principal, context: DemoContext, spec: DemoDataset, seed: int
) -> str:
    metadata = parse_metadata(metadata_for(spec, context))
    version = service.create_dataset(session, operator, metadata)
    _add_tables(session, operator, version.dataset_id, 1, spec, seed)
    service.publish(session, operator, version.dataset_id, 1)
    return version.dataset_id


def _correct(
    session: Session, operator: Principal, dataset_id: str, spec: DemoDataset, seed: int
) -> None:
    draft = service.start_version(session, operator, dataset_id)
    _add_tables(session, operator, dataset_id, draft.number, spec, seed, replace=True)
    service.publish(session, operator, dataset_id, draft.number)
    service.withdraw(session, operator, dataset_id, 1, WITHDRAWAL_REASON)


def _add_tables(
    session: Session,
    operator: Principal,
    dataset_id: str,
    number: int,
    spec: DemoDataset,
    seed: int,
    *,
    replace: bool = False,
) -> None:
    store = blob_store_of(node_of(session))
    rows = spec.table.generate(seed)
    for path, data in (
        (f"data/{spec.key}.csv", to_csv(spec.table, rows)),
        (f"data/{spec.key}.parquet", to_parquet(spec.table, rows)),
    ):
        blob = ingest_chunks(store, [data])
        service.add_file(
            session, operator, dataset_id, number, path=path, blob=blob, replace=replace
        )
