"""How to cite a version: DataCite's recommended form, and schema.org ``Dataset`` JSON-LD.

Citation (DataCite Metadata Schema 4.5, "Citation"): ``Creator (PublicationYear). Title.
Version. Publisher. Identifier``. JSON-LD follows https://schema.org/Dataset as Google Dataset
Search and DataCite's own landing pages read it.
"""

from __future__ import annotations

from typing import Any

from accord.catalog.metadata import DatasetMetadata

MAX_CITED_CREATORS = 10


def landing_url(base_url: str, dataset_id: str, number: int) -> str:
    return f"{base_url}/datasets/{dataset_id}/versions/{number}"


def identifier_url(metadata: DatasetMetadata, landing: str) -> str:
    return f"https://doi.org/{metadata.doi}" if metadata.doi else landing


def citation_text(metadata: DatasetMetadata, *, pid: str, number: int, landing: str) -> str:
    names = [c.name for c in metadata.creators]
    creators = "; ".join(names[:MAX_CITED_CREATORS]) + (
        "; et al." if len(names) > MAX_CITED_CREATORS else ""
    )
    year = metadata.publication_year or "n.d."
    identifier = identifier_url(metadata, landing)
    return (
        f"{creators} ({year}). {metadata.title}. Version {number}. "
        f"{metadata.publisher.name}. {pid}. {identifier}"
    )


def schema_org(
    metadata: DatasetMetadata,
    *,
    pid: str,
    number: int,
    landing: str,
    files: list[dict[str, Any]],
    date_published: str | None,
) -> dict[str, Any]:
    """A schema.org ``Dataset`` for the landing page's ``application/ld+json`` script."""
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": identifier_url(metadata, landing),
        "url": landing,
        "identifier": [pid] + ([f"https://doi.org/{metadata.doi}"] if metadata.doi else []),
        "name": metadata.title,
        "description": metadata.abstract,
        "version": str(number),
        "creator": [_person_or_org(c.name, c.name_type, c.orcid) for c in metadata.creators],
        "publisher": {"@type": "Organization", "name": metadata.publisher.name},
        "license": [r.rights_uri or r.rights_identifier for r in metadata.rights_list],
        "keywords": [*metadata.keywords, *(s.subject for s in metadata.subjects)],
        "isAccessibleForFree": metadata.tier.value == "open",
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f["path"],
                "encodingFormat": f["media_type"],
                "contentSize": f"{f['size']} B",
                "contentUrl": f["content_url"],
            }
            for f in files
        ],
    }
    if metadata.publication_year:
        doc["datePublished"] = date_published or str(metadata.publication_year)
    if metadata.country_of_origin:
        doc["spatialCoverage"] = {"@type": "Place", "name": metadata.country_of_origin}
    if metadata.languages:
        doc["inLanguage"] = metadata.languages
    return doc


def _person_or_org(name: str, name_type: str, orcid: str | None) -> dict[str, Any]:
    kind = "Person" if name_type == "Personal" else "Organization"
    entry: dict[str, Any] = {"@type": kind, "name": name}
    if orcid:
        entry["@id"] = f"https://orcid.org/{orcid}"
    return entry
