"""schema.org ``Dataset`` JSON-LD for landing pages and content negotiation.

Follows Google Dataset Search's structured-data guidelines
(https://developers.google.com/search/docs/appearance/structured-data/dataset): the required
``name`` and ``description`` and the recommended ``creator``, ``citation``, ``funder``,
``identifier``, ``isAccessibleForFree``, ``keywords``, ``license``, ``sameAs``,
``spatialCoverage``, ``temporalCoverage``, ``version``, ``url``, ``includedInDataCatalog`` and
``distribution`` where the metadata has them.
"""

from __future__ import annotations

from typing import Any

from accord.catalog.metadata import Creator, DateEntry, GeoLocation, Tier
from accord.identifiers import country_name
from accord.standards.record import VersionRecord

Json = dict[str, Any]
CONTEXT = "https://schema.org/"
_TEMPORAL_DATES = ("Coverage", "Collected")
_CITED = {"Cites", "References", "IsSupplementTo", "IsDerivedFrom"}
_CONDITIONS = {
    Tier.REGISTERED: "Sign in to the node and accept the dataset's terms of use to download.",
    Tier.CONTROLLED: "Request access: a data access committee decides; access is purpose- and "
    "time-bound.",
    Tier.RESTRICTED: "The data never leave the node: approved researchers analyse them in the "
    "node's sandbox and checked outputs are released.",
}


def to_schema_org(record: VersionRecord) -> Json:
    """The ``Dataset`` description of one published version."""
    m = record.metadata
    doc: Json = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": record.identifier_url,
        "url": record.landing_url,
        "name": m.title,
        "description": m.abstract,
        "identifier": _identifiers(record),
        "version": str(record.number),
        "creator": [_agent(c) for c in m.creators],
        "publisher": _publisher(record),
        "license": [r.rights_uri or r.rights_identifier for r in m.rights_list],
        "isAccessibleForFree": m.tier is Tier.OPEN,
        "keywords": [*m.keywords, *(s.subject for s in m.subjects)],
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": record.node.name,
            "url": record.node.base_url,
        },
    }
    _optional(doc, record)
    return doc


def _optional(doc: Json, record: VersionRecord) -> None:
    m = record.metadata
    alternate = [t.title for t in m.titles if t.title_type is not None]
    if alternate:
        doc["alternateName"] = alternate
    if m.doi:
        doc["sameAs"] = record.landing_url
    if record.published_at:
        doc["datePublished"] = record.published_at.date().isoformat()
    if m.contributors:
        doc["contributor"] = [_agent(c) for c in m.contributors]
    if m.languages:
        doc["inLanguage"] = m.languages
    if m.tier is not Tier.OPEN:
        doc["conditionsOfAccess"] = _CONDITIONS[m.tier]
    temporal = _temporal(m.dates)
    if temporal:
        doc["temporalCoverage"] = temporal
    places = _places(m.geo_locations, m.country_of_origin)
    if places:
        doc["spatialCoverage"] = places
    if m.funding_references:
        doc["funder"] = [
            _funder(f.funder_name, f.funder_identifier, f.funder_identifier_type)
            for f in m.funding_references
        ]
    cited = [
        _related_url(r.related_identifier_type, r.related_identifier)
        for r in m.related_identifiers
        if r.relation_type in _CITED
    ]
    if cited:
        doc["citation"] = cited
    if m.tier is not Tier.RESTRICTED and record.files:
        doc["distribution"] = [
            {
                "@type": "DataDownload",
                "name": f.path,
                "encodingFormat": f.media_type,
                "contentSize": f"{f.size} B",
                "contentUrl": f.content_url,
                "sha256": f.sha256,
            }
            for f in record.files
        ]


def _identifiers(record: VersionRecord) -> list[str]:
    doi = record.metadata.doi
    return [*([f"https://doi.org/{doi}"] if doi else []), record.pid]


def _agent(c: Creator) -> Json:
    if c.name_type == "Organizational":
        return {"@type": "Organization", "name": c.name}
    agent: Json = {"@type": "Person", "name": c.name}
    if c.given_name:
        agent["givenName"] = c.given_name
    if c.family_name:
        agent["familyName"] = c.family_name
    if c.orcid:
        agent["@id"] = agent["sameAs"] = f"https://orcid.org/{c.orcid}"
    if c.affiliation:
        agent["affiliation"] = [
            {"@type": "Organization", "name": a.name}
            | (
                {"sameAs": f"https://ror.org/{a.affiliation_identifier}"}
                if a.affiliation_identifier
                else {}
            )
            for a in c.affiliation
        ]
    return agent


def _publisher(record: VersionRecord) -> Json:
    publisher = record.metadata.publisher
    doc: Json = {"@type": "Organization", "name": publisher.name}
    if publisher.publisher_identifier:
        doc["sameAs"] = f"https://ror.org/{publisher.publisher_identifier}"
    return doc


def _temporal(dates: list[DateEntry]) -> str | None:
    """An ISO 8601 date or interval (``2021-03/2021-09``); open ends become ``..``."""
    chosen = next((d.date for d in dates if d.date_type in _TEMPORAL_DATES), None)
    if chosen is None:
        return None
    if "/" in chosen:
        start, end = chosen.split("/", 1)
        return f"{start or '..'}/{end or '..'}"
    return chosen


def _places(locations: list[GeoLocation], country: str | None) -> list[Json]:
    places = [_place(g) for g in locations]
    if country:
        places.append({"@type": "Country", "name": country_name(country), "identifier": country})
    return places


def _place(g: GeoLocation) -> Json:
    place: Json = {"@type": "Place"}
    if g.geo_location_place:
        place["name"] = g.geo_location_place
    if g.geo_location_point:
        p = g.geo_location_point
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": p.point_latitude,
            "longitude": p.point_longitude,
        }
    elif g.geo_location_box:
        b = g.geo_location_box
        place["geo"] = {
            "@type": "GeoShape",
            "box": f"{b.south_bound_latitude} {b.west_bound_longitude} "
            f"{b.north_bound_latitude} {b.east_bound_longitude}",
        }
    return place


def _funder(name: str, identifier: str | None, kind: str | None) -> Json:
    funder: Json = {"@type": "Organization", "name": name}
    if identifier and kind == "ROR":
        funder["@id"] = funder["sameAs"] = f"https://ror.org/{identifier}"
    elif identifier:
        funder["identifier"] = identifier
    return funder


def _related_url(kind: str, value: str) -> str:
    if kind == "DOI":
        return f"https://doi.org/{value}"
    return value
