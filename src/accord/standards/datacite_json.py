"""DataCite JSON: a version's metadata as DataCite Metadata Schema 4.x properties.

The shape is the one of DataCite's REST API ``attributes`` (camelCase property names, media type
``application/vnd.datacite.datacite+json``). It is also the middle step of the XML export and
import (``datacite_xml`` renders and parses exactly this dictionary), so both formats carry the
same information and share one mapping to the catalog's metadata model.

What the node assigns is written but never imported: the identifier (DOI, else the landing
page URL), the version number, the persistent id (alternate identifier ``Accord PID``) and the
tier's COAR access right (a ``rights`` entry ``info:eu-repo/semantics/…``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accord.catalog.metadata import (
    Affiliation,
    Creator,
    DatasetMetadata,
    NameIdentifier,
    Tier,
)
from accord.standards.access_rights import (
    eu_repo_rights,
    is_access_rights_uri,
    tier_from_rights_uri,
)
from accord.standards.record import VersionRecord

SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"
PID_TYPE = "Accord PID"
Json = dict[str, Any]

_NAME_SCHEME_URIS = {"ORCID": "https://orcid.org/", "ROR": "https://ror.org/"}
_TYPE_NAMES = {"schemaOrg": "Dataset", "citeproc": "dataset", "bibtex": "misc", "ris": "DATA"}


@dataclass(frozen=True)
class ImportedMetadata:
    """A catalog metadata document read from a foreign record, without the node's own fields
    (tier, organisation); ``suggested_tier`` comes from a COAR access right when present."""

    document: Json
    suggested_tier: Tier | None


# --- export ---------------------------------------------------------------------------------


def to_datacite_json(record: VersionRecord) -> Json:
    """DataCite 4.x properties of a version (DataCite Metadata Schema 4.7, properties 1–20)."""
    m = record.metadata
    doc: Json = {"id": record.identifier_url}
    if m.doi:
        doc["doi"] = m.doi
    doc["url"] = record.landing_url
    doc["types"] = _types(m)
    doc["creators"] = [_creator(c) for c in m.creators]
    doc["titles"] = [_clean(title=t.title, titleType=t.title_type, lang=t.lang) for t in m.titles]
    doc["publisher"] = _clean(
        name=m.publisher.name,
        publisherIdentifier=_ror_url(m.publisher.publisher_identifier),
        publisherIdentifierScheme=m.publisher.publisher_identifier_scheme,
        schemeUri="https://ror.org/" if m.publisher.publisher_identifier else None,
    )
    doc["publicationYear"] = m.publication_year or _year(record)
    doc["subjects"] = _subjects(m)
    doc["contributors"] = [
        {**_creator(c), "contributorType": c.contributor_type} for c in m.contributors
    ]
    doc["dates"] = [
        _clean(date=d.date, dateType=d.date_type, dateInformation=d.date_information)
        for d in m.dates
    ]
    if m.languages:
        doc["language"] = m.languages[0]
    doc["identifiers"] = [
        *(
            {"identifier": a.alternate_identifier, "identifierType": a.alternate_identifier_type}
            for a in m.alternate_identifiers
        ),
        {"identifier": record.pid, "identifierType": PID_TYPE},
    ]
    doc["relatedIdentifiers"] = [
        _clean(
            relatedIdentifier=r.related_identifier,
            relatedIdentifierType=r.related_identifier_type,
            relationType=r.relation_type,
            resourceTypeGeneral=r.resource_type_general,
        )
        for r in m.related_identifiers
    ]
    doc["sizes"] = list(m.sizes)
    doc["formats"] = list(m.formats)
    doc["version"] = str(record.number)
    doc["rightsList"] = [*(_rights(r) for r in m.rights_list), _access_rights(m.tier)]
    doc["descriptions"] = [
        _clean(description=d.description, descriptionType=d.description_type, lang=d.lang)
        for d in m.descriptions
    ]
    doc["geoLocations"] = [_geo_location(g.model_dump(exclude_none=True)) for g in m.geo_locations]
    doc["fundingReferences"] = [
        _clean(
            funderName=f.funder_name,
            funderIdentifier=_funder_identifier(f.funder_identifier, f.funder_identifier_type),
            funderIdentifierType=f.funder_identifier_type,
            awardNumber=f.award_number,
            awardUri=f.award_uri,
            awardTitle=f.award_title,
        )
        for f in m.funding_references
    ]
    doc["schemaVersion"] = SCHEMA_VERSION
    return doc


def _types(m: DatasetMetadata) -> Json:
    return _clean(
        resourceTypeGeneral=m.resource_type.resource_type_general,
        resourceType=m.resource_type.resource_type,
        **(_TYPE_NAMES if m.resource_type.resource_type_general == "Dataset" else {}),
    )


def _creator(c: Creator) -> Json:
    return _clean(
        name=c.name,
        nameType=c.name_type,
        givenName=c.given_name,
        familyName=c.family_name,
        nameIdentifiers=[_name_identifier(i) for i in c.name_identifiers],
        affiliation=[_affiliation(a) for a in c.affiliation],
    )


def _name_identifier(i: NameIdentifier) -> Json:
    prefix = _NAME_SCHEME_URIS.get(i.name_identifier_scheme, "")
    return _clean(
        nameIdentifier=prefix + i.name_identifier,
        nameIdentifierScheme=i.name_identifier_scheme,
        schemeUri=i.scheme_uri,
    )


def _affiliation(a: Affiliation) -> Json:
    return _clean(
        name=a.name,
        affiliationIdentifier=_ror_url(a.affiliation_identifier),
        affiliationIdentifierScheme=a.affiliation_identifier_scheme,
        schemeUri="https://ror.org/" if a.affiliation_identifier else None,
    )


def _subjects(m: DatasetMetadata) -> list[Json]:
    """Subjects with a scheme first, then free-text subjects and keywords (DataCite 6: a
    keyword is a subject without a scheme)."""
    subjects = [_subject(s) for s in m.subjects]
    schemed = [s for s in subjects if not _is_keyword(s)]
    free = [s for s in subjects if _is_keyword(s)]
    keywords = (_clean(subject=str(k), lang=k.lang) for k in m.keywords)
    return [*schemed, *free, *keywords]


def _is_keyword(subject: Mapping[str, Any]) -> bool:
    return set(subject) == {"subject"}


def _funder_identifier(value: str | None, kind: str | None) -> str | None:
    return f"https://ror.org/{value}" if value and kind == "ROR" else value


def _subject(s: Any) -> Json:
    return _clean(
        subject=s.subject,
        subjectScheme=s.subject_scheme,
        schemeUri=s.scheme_uri,
        valueUri=s.value_uri,
        classificationCode=s.classification_code,
        lang=s.lang,
    )


def _rights(r: Any) -> Json:
    return _clean(
        rights=r.rights,
        rightsUri=r.rights_uri,
        rightsIdentifier=r.rights_identifier,
        rightsIdentifierScheme=r.rights_identifier_scheme,
        schemeUri=r.scheme_uri,
    )


def _access_rights(tier: Tier) -> Json:
    uri, label = eu_repo_rights(tier)
    return {"rights": label, "rightsUri": uri}


def _geo_location(g: Mapping[str, Any]) -> Json:
    doc: Json = {}
    if "geo_location_place" in g:
        doc["geoLocationPlace"] = g["geo_location_place"]
    if "geo_location_point" in g:
        p = g["geo_location_point"]
        doc["geoLocationPoint"] = {
            "pointLongitude": p["point_longitude"],
            "pointLatitude": p["point_latitude"],
        }
    if "geo_location_box" in g:
        b = g["geo_location_box"]
        doc["geoLocationBox"] = {
            "westBoundLongitude": b["west_bound_longitude"],
            "eastBoundLongitude": b["east_bound_longitude"],
            "southBoundLatitude": b["south_bound_latitude"],
            "northBoundLatitude": b["north_bound_latitude"],
        }
    return doc


def _ror_url(ror_id: str | None) -> str | None:
    return f"https://ror.org/{ror_id}" if ror_id else None


def _year(record: VersionRecord) -> int:
    moment = record.published_at or record.updated_at
    return moment.year


def _clean(**values: Any) -> Json:
    """Drop absent values (None and empty lists) so documents carry only what is known."""
    return {k: v for k, v in values.items() if v is not None and v != []}


# --- import ---------------------------------------------------------------------------------


def metadata_from_datacite_json(doc: Mapping[str, Any]) -> ImportedMetadata:
    """Catalog metadata fields from DataCite JSON (the inverse of ``to_datacite_json`` for every
    property the depositor controls). Values are checked later by the catalog's model."""
    rights = [r for r in _list(doc, "rightsList") if isinstance(r, Mapping)]
    access = [r for r in rights if is_access_rights_uri(_str(r, "rightsUri"))]
    suggested = next(
        (t for r in access if (t := tier_from_rights_uri(str(r["rightsUri"]))) is not None), None
    )
    subjects = [_subject_in(s) for s in _list(doc, "subjects")]
    out: Json = {
        "doi": _str(doc, "doi") or _doi_from_identifier(doc),
        "alternate_identifiers": [
            {
                "alternate_identifier": _str(i, "identifier") or _str(i, "alternateIdentifier"),
                "alternate_identifier_type": _str(i, "identifierType")
                or _str(i, "alternateIdentifierType"),
            }
            for i in _list(doc, "identifiers") + _list(doc, "alternateIdentifiers")
            if _is_alternate(i)
        ],
        "creators": [_creator_in(c) for c in _list(doc, "creators")],
        "titles": [
            _drop_none(
                title=_str(t, "title"), title_type=_str(t, "titleType"), lang=_str(t, "lang")
            )
            for t in _list(doc, "titles")
        ],
        "publisher": _publisher_in(doc.get("publisher")),
        "publication_year": _int(doc.get("publicationYear")),
        "resource_type": _resource_type_in(doc.get("types")),
        "subjects": [s for s in subjects if not _is_keyword(s)],
        "keywords": [s["subject"] for s in subjects if _is_keyword(s) and "subject" in s],
        "contributors": [
            {**_creator_in(c), "contributor_type": _str(c, "contributorType")}
            for c in _list(doc, "contributors")
        ],
        "dates": [
            _drop_none(
                date=_str(d, "date"),
                date_type=_str(d, "dateType"),
                date_information=_str(d, "dateInformation"),
            )
            for d in _list(doc, "dates")
        ],
        "languages": [doc["language"]] if isinstance(doc.get("language"), str) else [],
        "related_identifiers": [
            _drop_none(
                related_identifier=_str(r, "relatedIdentifier"),
                related_identifier_type=_str(r, "relatedIdentifierType"),
                relation_type=_str(r, "relationType"),
                resource_type_general=_str(r, "resourceTypeGeneral"),
            )
            for r in _list(doc, "relatedIdentifiers")
        ],
        "sizes": [s for s in _list(doc, "sizes") if isinstance(s, str)],
        "formats": [f for f in _list(doc, "formats") if isinstance(f, str)],
        "rights_list": [_rights_in(r) for r in rights if r not in access],
        "descriptions": [
            _drop_none(
                description=_str(d, "description"),
                description_type=_str(d, "descriptionType"),
                lang=_str(d, "lang"),
            )
            for d in _list(doc, "descriptions")
        ],
        "geo_locations": [_geo_location_in(g) for g in _list(doc, "geoLocations")],
        "funding_references": [
            _drop_none(
                funder_name=_str(f, "funderName"),
                funder_identifier=_str(f, "funderIdentifier"),
                funder_identifier_type=_str(f, "funderIdentifierType"),
                award_number=_str(f, "awardNumber"),
                award_uri=_str(f, "awardUri"),
                award_title=_str(f, "awardTitle"),
            )
            for f in _list(doc, "fundingReferences")
        ],
    }
    return ImportedMetadata(_drop_empty(out), suggested)


def _is_alternate(identifier: Any) -> bool:
    kind = _str(identifier, "identifierType") or _str(identifier, "alternateIdentifierType")
    return kind not in (None, PID_TYPE, "DOI")


def _doi_from_identifier(doc: Mapping[str, Any]) -> str | None:
    identifier = doc.get("identifier")
    if isinstance(identifier, Mapping) and identifier.get("identifierType") == "DOI":
        return _str(identifier, "identifier")
    return None


def _creator_in(c: Any) -> Json:
    return _drop_empty(
        {
            "name": _str(c, "name"),
            "name_type": _str(c, "nameType"),
            "given_name": _str(c, "givenName"),
            "family_name": _str(c, "familyName"),
            "name_identifiers": [
                _drop_none(
                    name_identifier_scheme=_name_scheme(_str(i, "nameIdentifierScheme")),
                    name_identifier=_str(i, "nameIdentifier"),
                    scheme_uri=_str(i, "schemeUri"),
                )
                for i in _list(c, "nameIdentifiers")
            ],
            "affiliation": [_affiliation_in(a) for a in _list(c, "affiliation")],
        }
    )


def _name_scheme(scheme: str | None) -> str | None:
    if scheme is None:
        return None
    return scheme if scheme in {"ORCID", "ROR", "ISNI"} else "Other"


def _affiliation_in(a: Any) -> Json:
    if isinstance(a, str):
        return {"name": a}
    ror = _str(a, "affiliationIdentifierScheme") == "ROR"
    return _drop_none(
        name=_str(a, "name"),
        affiliation_identifier=_str(a, "affiliationIdentifier") if ror else None,
    )


def _publisher_in(value: Any) -> Json | None:
    if isinstance(value, str):
        return {"name": value}
    if not isinstance(value, Mapping):
        return None
    ror = _str(value, "publisherIdentifierScheme") == "ROR"
    return _drop_none(
        name=_str(value, "name"),
        publisher_identifier=_str(value, "publisherIdentifier") if ror else None,
    )


def _resource_type_in(types: Any) -> Json:
    if not isinstance(types, Mapping):
        return {}
    return _drop_none(
        resource_type_general=_str(types, "resourceTypeGeneral"),
        resource_type=_str(types, "resourceType"),
    )


def _subject_in(s: Any) -> Json:
    return _drop_none(
        subject=_str(s, "subject"),
        subject_scheme=_str(s, "subjectScheme"),
        scheme_uri=_str(s, "schemeUri"),
        value_uri=_str(s, "valueUri"),
        classification_code=_str(s, "classificationCode"),
        lang=_str(s, "lang"),
    )


def _rights_in(r: Mapping[str, Any]) -> Json:
    return _drop_none(
        rights_identifier=_str(r, "rightsIdentifier"),
        rights=_str(r, "rights"),
        rights_uri=_str(r, "rightsUri"),
    )


def _geo_location_in(g: Any) -> Json:
    out: Json = _drop_none(geo_location_place=_str(g, "geoLocationPlace"))
    point = g.get("geoLocationPoint") if isinstance(g, Mapping) else None
    if isinstance(point, Mapping):
        out["geo_location_point"] = {
            "point_longitude": point.get("pointLongitude"),
            "point_latitude": point.get("pointLatitude"),
        }
    box = g.get("geoLocationBox") if isinstance(g, Mapping) else None
    if isinstance(box, Mapping):
        out["geo_location_box"] = {
            "west_bound_longitude": box.get("westBoundLongitude"),
            "east_bound_longitude": box.get("eastBoundLongitude"),
            "south_bound_latitude": box.get("southBoundLatitude"),
            "north_bound_latitude": box.get("northBoundLatitude"),
        }
    return out


def _list(doc: Any, key: str) -> list[Any]:
    value = doc.get(key) if isinstance(doc, Mapping) else None
    return list(value) if isinstance(value, list) else []


def _str(doc: Any, key: str) -> str | None:
    value = doc.get(key) if isinstance(doc, Mapping) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value.strip() else None


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _drop_none(**values: Any) -> Json:
    return {k: v for k, v in values.items() if v is not None}


def _drop_empty(values: Json) -> Json:
    return {k: v for k, v in values.items() if v is not None and v != [] and v != {}}
