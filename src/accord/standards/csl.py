"""CSL-JSON (Citation Style Language 1.0.2 input data) for a dataset version.

One item of type ``dataset``; names are split into family and given parts when the metadata
has them (organisations are ``literal`` names). Media type
``application/vnd.citationstyles.csl+json``.
"""

from __future__ import annotations

from typing import Any

from accord.catalog.metadata import Creator
from accord.standards.record import VersionRecord

Json = dict[str, Any]


def csl_item(record: VersionRecord) -> Json:
    m = record.metadata
    item: Json = {
        "id": record.pid,
        "type": "dataset",
        "title": m.title,
        "author": [csl_name(c) for c in m.creators],
        "issued": {"date-parts": [_date_parts(record)]},
        "publisher": m.publisher.name,
        "version": str(record.number),
        "URL": record.landing_url,
        "abstract": m.abstract,
    }
    if m.doi:
        item["DOI"] = m.doi
    keywords = [*m.keywords, *(s.subject for s in m.subjects)]
    if keywords:
        item["keyword"] = ", ".join(keywords)
    if m.languages:
        item["language"] = m.languages[0]
    return item


def csl_name(creator: Creator) -> Json:
    if creator.name_type == "Organizational":
        return {"literal": creator.name}
    if creator.family_name:
        name: Json = {"family": creator.family_name}
        if creator.given_name:
            name["given"] = creator.given_name
        return name
    family, comma, given = creator.name.partition(",")
    if comma and given.strip():
        return {"family": family.strip(), "given": given.strip()}
    return {"literal": creator.name}


def _date_parts(record: VersionRecord) -> list[int]:
    """The publication year (DataCite 5): citations of datasets give the year only."""
    year = record.metadata.publication_year
    if year is None:
        year = (record.published_at or record.updated_at).year
    return [year]
