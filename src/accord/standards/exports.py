"""The exports of a published version: names, media types and the writer of each.

Every export is a pure function of a ``VersionRecord`` to bytes, except the RO-Crate ZIP, which
streams the files from the blob store (``ro_crate.stream_crate``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from accord.standards import bibtex, datacite_json, datacite_xml, dcat, prov, ris, schema_org
from accord.standards.csl import csl_item
from accord.standards.rdf import serialize
from accord.standards.record import VersionRecord
from accord.standards.ro_crate import crate_metadata


class ExportName(StrEnum):
    DATACITE_XML = "datacite.xml"
    DATACITE_JSON = "datacite.json"
    SCHEMA_ORG = "schema.org.jsonld"
    DCAT_TURTLE = "dcat.ttl"
    DCAT_RDF_XML = "dcat.rdf"
    DCAT_JSON_LD = "dcat.jsonld"
    PROV_TURTLE = "prov.ttl"
    PROV_JSON_LD = "prov.jsonld"
    RO_CRATE_METADATA = "ro-crate-metadata.json"
    RO_CRATE = "ro-crate.zip"
    BIBTEX = "citation.bib"
    RIS = "citation.ris"
    CSL_JSON = "citation.csl.json"


@dataclass(frozen=True)
class Export:
    name: ExportName
    media_type: str
    title: str
    standard: str


DATACITE_XML_TYPE = "application/vnd.datacite.datacite+xml"
DATACITE_JSON_TYPE = "application/vnd.datacite.datacite+json"
JSON_LD = "application/ld+json"
TURTLE = "text/turtle"

EXPORTS: dict[ExportName, Export] = {
    e.name: e
    for e in (
        Export(ExportName.DATACITE_XML, DATACITE_XML_TYPE, "DataCite XML", "DataCite 4.7"),
        Export(ExportName.DATACITE_JSON, DATACITE_JSON_TYPE, "DataCite JSON", "DataCite 4.7"),
        Export(ExportName.SCHEMA_ORG, JSON_LD, "schema.org Dataset", "schema.org"),
        Export(ExportName.DCAT_TURTLE, TURTLE, "DCAT-AP (Turtle)", "DCAT-AP 3"),
        Export(ExportName.DCAT_RDF_XML, "application/rdf+xml", "DCAT-AP (RDF/XML)", "DCAT-AP 3"),
        Export(ExportName.DCAT_JSON_LD, JSON_LD, "DCAT-AP (JSON-LD)", "DCAT-AP 3"),
        Export(ExportName.PROV_TURTLE, TURTLE, "Provenance (Turtle)", "W3C PROV-O"),
        Export(ExportName.PROV_JSON_LD, JSON_LD, "Provenance (JSON-LD)", "W3C PROV-O"),
        Export(ExportName.RO_CRATE_METADATA, JSON_LD, "RO-Crate metadata", "RO-Crate 1.1"),
        Export(
            ExportName.RO_CRATE, "application/zip", "RO-Crate (metadata and files)", "RO-Crate 1.1"
        ),
        Export(ExportName.BIBTEX, "application/x-bibtex", "BibTeX", "BibTeX"),
        Export(ExportName.RIS, "application/x-research-info-systems", "RIS", "RIS"),
        Export(
            ExportName.CSL_JSON, "application/vnd.citationstyles.csl+json", "CSL-JSON", "CSL 1.0.2"
        ),
    )
}


def render(record: VersionRecord, name: ExportName) -> bytes:
    """The export ``name`` of ``record`` (everything but the RO-Crate ZIP)."""
    return _WRITERS[name](record)


def content_type(name: ExportName) -> str:
    media_type = EXPORTS[name].media_type
    text = media_type.startswith("text/") or media_type.endswith(("json", "+xml", "bibtex"))
    return f"{media_type}; charset=utf-8" if text else media_type


def _json(document: Any) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode()


_WRITERS: dict[ExportName, Callable[[VersionRecord], bytes]] = {
    ExportName.DATACITE_XML: lambda r: datacite_xml.render(datacite_json.to_datacite_json(r)),
    ExportName.DATACITE_JSON: lambda r: _json(datacite_json.to_datacite_json(r)),
    ExportName.SCHEMA_ORG: lambda r: _json(schema_org.to_schema_org(r)),
    ExportName.DCAT_TURTLE: lambda r: serialize(dcat.version_graph(r), "turtle"),
    ExportName.DCAT_RDF_XML: lambda r: serialize(dcat.version_graph(r), "xml"),
    ExportName.DCAT_JSON_LD: lambda r: serialize(dcat.version_graph(r), "json-ld"),
    ExportName.PROV_TURTLE: lambda r: serialize(prov.lineage_graph(r), "turtle"),
    ExportName.PROV_JSON_LD: lambda r: serialize(prov.lineage_graph(r), "json-ld"),
    ExportName.RO_CRATE_METADATA: lambda r: _json(crate_metadata(r)),
    ExportName.BIBTEX: lambda r: bibtex.to_bibtex(r).encode(),
    ExportName.RIS: lambda r: ris.to_ris(r).encode(),
    ExportName.CSL_JSON: lambda r: _json([csl_item(r)]),
}
