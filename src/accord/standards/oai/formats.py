"""The metadata formats the OAI-PMH endpoint disseminates, and the XML of each.

- ``oai_dc``: unqualified Dublin Core (OAI-PMH 2.0 §6.2, schema ``oai_dc.xsd``), mapped from
  DataCite as DataCite's own OAI provider maps it.
- ``oai_datacite``: DataCite's OAI envelope (schema ``oai-1.1``) around the kernel-4 record.
- ``datacite``: the DataCite kernel-4 ``<resource>`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from accord.standards import datacite_json, datacite_xml
from accord.standards.access_rights import eu_repo_rights
from accord.standards.record import VersionRecord

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DATACITE_NS = "http://schema.datacite.org/oai/oai-1.1/"
SCHEMA_VERSION = "4.7"


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str


FORMATS: dict[str, MetadataFormat] = {
    f.prefix: f
    for f in (
        MetadataFormat("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
        MetadataFormat(
            "oai_datacite", "http://schema.datacite.org/oai/oai-1.1/oai.xsd", OAI_DATACITE_NS
        ),
        MetadataFormat(
            "datacite", "http://schema.datacite.org/meta/kernel-4.7/metadata.xsd", datacite_xml.NS
        ),
    )
}


def datacite_resource(record: VersionRecord) -> str:
    """The kernel-4 ``<resource>`` element (no XML declaration), as stored in the index."""
    element = datacite_xml.resource_element(datacite_json.to_datacite_json(record))
    return etree.tostring(element, encoding="unicode")


def oai_datacite(resource: str, symbol: str) -> str:
    """DataCite's ``oai_datacite`` envelope around a stored ``<resource>``."""
    return (
        f'<oai_datacite xmlns="{OAI_DATACITE_NS}" xmlns:xsi="{XSI_NS}" '
        f'xsi:schemaLocation="{OAI_DATACITE_NS} {FORMATS["oai_datacite"].schema}">'
        f"<schemaVersion>{SCHEMA_VERSION}</schemaVersion>"
        f"<datacentreSymbol>{_escape(datacite_xml.xml_safe(symbol))}</datacentreSymbol>"
        f"<payload>{resource}</payload></oai_datacite>"
    )


def oai_dc(record: VersionRecord) -> str:
    """The ``<oai_dc:dc>`` element (no XML declaration), as stored in the index."""
    m = record.metadata
    root = etree.Element(
        f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
    )
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {FORMATS['oai_dc'].schema}")
    values: list[tuple[str, str]] = [("title", t.title) for t in m.titles]
    values += [("creator", c.name) for c in m.creators]
    values += [("subject", s.subject) for s in m.subjects]
    values += [("subject", k) for k in m.keywords]
    values += [("description", d.description) for d in m.descriptions]
    values.append(("publisher", m.publisher.name))
    values += [("contributor", c.name) for c in m.contributors]
    if record.published_at:
        values.append(("date", record.published_at.date().isoformat()))
    values += [("date", f"{d.date_type}: {d.date}") for d in m.dates]
    values.append(("type", m.resource_type.resource_type_general))
    values += [("format", f) for f in sorted({f.media_type for f in record.files})]
    values += [("identifier", i) for i in _identifiers(record)]
    values += [("language", language) for language in m.languages]
    values += [
        ("relation", f"{r.related_identifier_type}:{r.related_identifier}")
        for r in m.related_identifiers
    ]
    values += [("coverage", g.geo_location_place) for g in m.geo_locations if g.geo_location_place]
    values += [("rights", r.rights_uri or r.rights_identifier) for r in m.rights_list]
    values.append(("rights", eu_repo_rights(m.tier)[0]))
    for name, text in values:
        etree.SubElement(root, f"{{{DC_NS}}}{name}").text = datacite_xml.xml_safe(text)
    return etree.tostring(root, encoding="unicode")


def _identifiers(record: VersionRecord) -> list[str]:
    doi = record.metadata.doi
    return [*([f"https://doi.org/{doi}"] if doi else []), record.landing_url, record.pid]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
