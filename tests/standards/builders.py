"""Values for the pure export functions: ``VersionRecord``s without a database."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from accord.catalog.metadata import DatasetMetadata
from accord.standards.record import (
    FileEntry,
    NodeInfo,
    OrganisationInfo,
    VersionLink,
    VersionRecord,
    version_url,
)

NODE = NodeInfo("test-node", "Test node", "https://node.example.org", "CH")
ORGANISATION = OrganisationInfo(
    "org_01JQ0000000000000000000000", "Nairobi Centre", "KE", "05gq02987"
)
DATASET = "ds_01JQ0000000000000000000001"
PUBLISHED = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
ORCID = "0000-0002-1825-0097"

MINIMAL: dict[str, Any] = {
    "titles": [{"title": "Household malaria survey, Kisumu 2021", "lang": "en"}],
    "creators": [
        {
            "name": "Kamau, Wanjiru",
            "given_name": "Wanjiru",
            "family_name": "Kamau",
            "name_identifiers": [{"name_identifier_scheme": "ORCID", "name_identifier": ORCID}],
            "affiliation": [{"name": "Brown University", "affiliation_identifier": "05gq02987"}],
        }
    ],
    "publisher": {"name": "Nairobi Centre for Genomic Medicine"},
    "publication_year": 2026,
    "descriptions": [
        {
            "description": "Cross-sectional survey of 1,200 households on bed net use and "
            "malaria prevalence in Kisumu county."
        }
    ],
    "rights_list": [{"rights_identifier": "CC-BY-4.0"}],
    "subjects": [{"subject": "Malaria", "subject_scheme": "MeSH"}],
    "keywords": ["bed nets", "household survey"],
    "languages": ["en"],
    "dates": [{"date": "2021-03/2021-09", "date_type": "Collected"}],
    "tier": "open",
    "organisation_id": ORGANISATION.id,
    "country_of_origin": "KE",
}


def metadata(**changes: Any) -> DatasetMetadata:
    document = copy.deepcopy(MINIMAL)
    document.update(copy.deepcopy(changes))
    return DatasetMetadata.model_validate(document)


def file_entry(
    path: str = "data/table.csv", size: int = 14, media_type: str = "text/csv"
) -> FileEntry:
    base = (
        f"{NODE.base_url}/api/v1/datasets/{DATASET}/versions/1/files/fil_01JQ0000000000000000000002"
    )
    return FileEntry(
        "fil_01JQ0000000000000000000002", path, size, media_type, "ab" * 32, base + "/content"
    )


def record(
    meta: DatasetMetadata | None = None,
    *,
    number: int = 1,
    files: tuple[FileEntry, ...] | None = None,
    versions: tuple[VersionLink, ...] = (),
    state: str = "published",
) -> VersionRecord:
    return VersionRecord(
        node=NODE,
        organisation=ORGANISATION,
        dataset_id=DATASET,
        version_id=f"dv_01JQ00000000000000000000{number:02d}",
        number=number,
        pid=f"{NODE.node_id}/{DATASET}@v{number}",
        state=state,
        metadata=meta or metadata(),
        files=(file_entry(),) if files is None else files,
        published_at=PUBLISHED,
        withdrawn_at=None,
        updated_at=PUBLISHED,
        manifest_sha256="cd" * 32,
        versions=versions,
    )


def link(number: int, *, withdrawn: datetime | None = None) -> VersionLink:
    return VersionLink(
        number=number,
        pid=f"{NODE.node_id}/{DATASET}@v{number}",
        state="withdrawn" if withdrawn else "published",
        landing_url=version_url(NODE.base_url, DATASET, number),
        published_at=PUBLISHED,
        withdrawn_at=withdrawn,
    )
