"""DataCite XML (Metadata Schema 4.7, namespace ``http://datacite.org/schema/kernel-4``).

``render`` writes the DataCite JSON dictionary of ``datacite_json`` as a ``<resource>`` element;
``parse`` reads a ``<resource>`` back into the same dictionary, so that JSON → XML → JSON is the
identity on everything the export writes. Element and attribute names follow the XSD shipped in
``standards/data/datacite`` (``xsd.validate_datacite`` checks documents against it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from accord.errors import InvalidInput

NS = "http://datacite.org/schema/kernel-4"
SCHEMA_LOCATION = f"{NS} https://schema.datacite.org/meta/kernel-4.7/metadata.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
Json = dict[str, Any]
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Attr:
    """An XML attribute and the JSON key that holds its value."""

    xml: str
    json: str


@dataclass(frozen=True)
class Repeated:
    """A wrapper element (``subjects``) of repeated elements (``subject``) whose text is
    ``text`` and whose attributes are ``attrs``."""

    key: str
    wrapper: str
    element: str
    text: str
    attrs: tuple[Attr, ...]


_LANG = Attr(XML_LANG, "lang")
_SCHEME_URI = Attr("schemeURI", "schemeUri")
_SIMPLE_LISTS = (
    Repeated("titles", "titles", "title", "title", (Attr("titleType", "titleType"), _LANG)),
    Repeated(
        "subjects",
        "subjects",
        "subject",
        "subject",
        (
            Attr("subjectScheme", "subjectScheme"),
            _SCHEME_URI,
            Attr("valueURI", "valueUri"),
            Attr("classificationCode", "classificationCode"),
            _LANG,
        ),
    ),
    Repeated(
        "dates",
        "dates",
        "date",
        "date",
        (Attr("dateType", "dateType"), Attr("dateInformation", "dateInformation")),
    ),
    Repeated(
        "identifiers",
        "alternateIdentifiers",
        "alternateIdentifier",
        "identifier",
        (Attr("alternateIdentifierType", "identifierType"),),
    ),
    Repeated(
        "relatedIdentifiers",
        "relatedIdentifiers",
        "relatedIdentifier",
        "relatedIdentifier",
        (
            Attr("relatedIdentifierType", "relatedIdentifierType"),
            Attr("relationType", "relationType"),
            Attr("resourceTypeGeneral", "resourceTypeGeneral"),
        ),
    ),
    Repeated(
        "rightsList",
        "rightsList",
        "rights",
        "rights",
        (
            Attr("rightsURI", "rightsUri"),
            Attr("rightsIdentifier", "rightsIdentifier"),
            Attr("rightsIdentifierScheme", "rightsIdentifierScheme"),
            _SCHEME_URI,
            _LANG,
        ),
    ),
    Repeated(
        "descriptions",
        "descriptions",
        "description",
        "description",
        (Attr("descriptionType", "descriptionType"), _LANG),
    ),
)
_NAME_IDENTIFIER = (Attr("nameIdentifierScheme", "nameIdentifierScheme"), _SCHEME_URI)
_AFFILIATION = (
    Attr("affiliationIdentifier", "affiliationIdentifier"),
    Attr("affiliationIdentifierScheme", "affiliationIdentifierScheme"),
    _SCHEME_URI,
)
_PUBLISHER = (
    Attr("publisherIdentifier", "publisherIdentifier"),
    Attr("publisherIdentifierScheme", "publisherIdentifierScheme"),
    _SCHEME_URI,
)
_POINT = ("pointLongitude", "pointLatitude")
_BOX = ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude")


# --- rendering ------------------------------------------------------------------------------


def render(doc: Mapping[str, Any]) -> bytes:
    """The ``<resource>`` document (UTF-8, with an XML declaration) for a DataCite JSON dict."""
    return etree.tostring(
        resource_element(doc), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def resource_element(doc: Mapping[str, Any]) -> etree._Element:
    """The ``<resource>`` element itself (OAI-PMH wraps it in its own envelope)."""
    root = etree.Element(_q("resource"), nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    identifier = _sub(root, "identifier", doc.get("doi") or doc["url"])
    identifier.set("identifierType", "DOI" if doc.get("doi") else "URL")
    _names(root, "creators", "creator", doc.get("creators", []))
    _repeated(root, _SIMPLE_LISTS[0], doc)
    publisher = doc["publisher"]
    _set_attrs(_sub(root, "publisher", publisher["name"]), _PUBLISHER, publisher)
    _sub(root, "publicationYear", str(doc["publicationYear"]))
    types = doc.get("types", {})
    _sub(root, "resourceType", types.get("resourceType", "")).set(
        "resourceTypeGeneral", xml_safe(types.get("resourceTypeGeneral", "Dataset"))
    )
    _repeated(root, _SIMPLE_LISTS[1], doc)
    _names(root, "contributors", "contributor", doc.get("contributors", []))
    _repeated(root, _SIMPLE_LISTS[2], doc)
    if doc.get("language"):
        _sub(root, "language", doc["language"])
    for spec in _SIMPLE_LISTS[3:5]:
        _repeated(root, spec, doc)
    _texts(root, "sizes", "size", doc.get("sizes", []))
    _texts(root, "formats", "format", doc.get("formats", []))
    if doc.get("version"):
        _sub(root, "version", doc["version"])
    for spec in _SIMPLE_LISTS[5:]:
        _repeated(root, spec, doc)
    _geo_locations(root, doc.get("geoLocations", []))
    _funding(root, doc.get("fundingReferences", []))
    return root


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (control characters, lone
    surrogates); metadata may hold them, an XML document may not (XML 1.0 §2.2)."""
    return _NOT_XML.sub("", text)


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, _q(name))
    if text is not None:
        child.text = xml_safe(text)
    return child


def _set_attrs(element: etree._Element, attrs: tuple[Attr, ...], values: Mapping[str, Any]) -> None:
    for attr in attrs:
        value = values.get(attr.json)
        if value is not None:
            element.set(attr.xml, xml_safe(str(value)))


def _repeated(root: etree._Element, spec: Repeated, doc: Mapping[str, Any]) -> None:
    items = doc.get(spec.key) or []
    if not items:
        return
    wrapper = _sub(root, spec.wrapper)
    for item in items:
        _set_attrs(_sub(wrapper, spec.element, str(item[spec.text])), spec.attrs, item)


def _texts(root: etree._Element, wrapper: str, element: str, values: list[str]) -> None:
    if values:
        parent = _sub(root, wrapper)
        for value in values:
            _sub(parent, element, value)


def _names(root: etree._Element, wrapper: str, element: str, people: list[Json]) -> None:
    if not people:
        return
    parent = _sub(root, wrapper)
    for person in people:
        node = _sub(parent, element)
        if "contributorType" in person:
            node.set("contributorType", xml_safe(person["contributorType"]))
        name = _sub(node, f"{element}Name", person["name"])
        if person.get("nameType"):
            name.set("nameType", xml_safe(person["nameType"]))
        for part in ("givenName", "familyName"):
            if person.get(part):
                _sub(node, part, person[part])
        for identifier in person.get("nameIdentifiers", []):
            _set_attrs(
                _sub(node, "nameIdentifier", identifier["nameIdentifier"]),
                _NAME_IDENTIFIER,
                identifier,
            )
        for affiliation in person.get("affiliation", []):
            _set_attrs(_sub(node, "affiliation", affiliation["name"]), _AFFILIATION, affiliation)


def _geo_locations(root: etree._Element, locations: list[Json]) -> None:
    if not locations:
        return
    parent = _sub(root, "geoLocations")
    for location in locations:
        node = _sub(parent, "geoLocation")
        if "geoLocationPlace" in location:
            _sub(node, "geoLocationPlace", location["geoLocationPlace"])
        for kind, parts in (("geoLocationPoint", _POINT), ("geoLocationBox", _BOX)):
            if kind in location:
                shape = _sub(node, kind)
                for part in parts:
                    _sub(shape, part, _number(location[kind][part]))


def _funding(root: etree._Element, references: list[Json]) -> None:
    if not references:
        return
    parent = _sub(root, "fundingReferences")
    for ref in references:
        node = _sub(parent, "fundingReference")
        _sub(node, "funderName", ref["funderName"])
        if ref.get("funderIdentifier"):
            _sub(node, "funderIdentifier", ref["funderIdentifier"]).set(
                "funderIdentifierType", xml_safe(ref.get("funderIdentifierType", "Other"))
            )
        if ref.get("awardNumber"):
            award = _sub(node, "awardNumber", ref["awardNumber"])
            if ref.get("awardUri"):
                award.set("awardURI", xml_safe(ref["awardUri"]))
        if ref.get("awardTitle"):
            _sub(node, "awardTitle", ref["awardTitle"])


def _number(value: float | int | str) -> str:
    return repr(float(value)) if not isinstance(value, str) else value


# --- parsing --------------------------------------------------------------------------------


def parse(data: bytes) -> Json:
    """A DataCite kernel-4 ``<resource>`` as the DataCite JSON dictionary ``render`` writes.

    Unknown elements are ignored; structure errors raise ``InvalidInput`` (validate against the
    XSD first for a full report).
    """
    root = parse_document(data)
    if root.tag != _q("resource"):
        raise InvalidInput(
            f"the root element is {root.tag!r}, not a DataCite kernel-4 <resource>",
            code="standards.not-datacite",
            hint="send a DataCite Metadata Schema 4.x record (namespace " + NS + ")",
        )
    doc: Json = {}
    identifier = root.find(_q("identifier"))
    if identifier is not None and identifier.text:
        kind = identifier.get("identifierType", "")
        doc["identifier"] = {"identifier": identifier.text.strip(), "identifierType": kind}
        if kind == "DOI":
            doc["doi"] = identifier.text.strip()
        elif kind == "URL":
            doc["url"] = identifier.text.strip()
    for key, reader in _READERS.items():
        value = reader(root)
        if value not in (None, [], {}):
            doc[key] = value
    return doc


def parse_document(data: bytes) -> etree._Element:
    """Parse XML safely: no network, no external entities, no DTD loading."""
    parser = etree.XMLParser(
        no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise InvalidInput(
            f"the document is not well-formed XML: {error}",
            code="standards.bad-xml",
            hint="check the XML syntax (line and column are given above)",
        ) from None


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = "".join(
        "\n" if isinstance(node, etree._Element) and node.tag == _q("br") else str(node)
        for node in element.xpath("node()[not(self::comment())]")
        if isinstance(node, str) or node.tag == _q("br")
    ).strip()
    return text or None


def _attrs(element: etree._Element, attrs: tuple[Attr, ...]) -> Json:
    return {a.json: element.get(a.xml) for a in attrs if element.get(a.xml) is not None}


def _read_repeated(spec: Repeated) -> Callable[[etree._Element], list[Json]]:
    def read(root: etree._Element) -> list[Json]:
        return [
            {spec.text: _text(e) or "", **_attrs(e, spec.attrs)}
            for e in root.iterfind(f"{_q(spec.wrapper)}/{_q(spec.element)}")
        ]

    return read


def _read_names(wrapper: str, element: str) -> Callable[[etree._Element], list[Json]]:
    def read(root: etree._Element) -> list[Json]:
        return [
            _read_person(node, element) for node in root.iterfind(f"{_q(wrapper)}/{_q(element)}")
        ]

    return read


def _read_person(node: etree._Element, element: str) -> Json:
    name = node.find(_q(f"{element}Name"))
    person: Json = {"name": _text(name) or ""}
    if name is not None and name.get("nameType"):
        person["nameType"] = name.get("nameType")
    for part in ("givenName", "familyName"):
        value = _text(node.find(_q(part)))
        if value:
            person[part] = value
    identifiers = [
        {"nameIdentifier": _text(i) or "", **_attrs(i, _NAME_IDENTIFIER)}
        for i in node.iterfind(_q("nameIdentifier"))
    ]
    affiliations = [
        {"name": _text(a) or "", **_attrs(a, _AFFILIATION)}
        for a in node.iterfind(_q("affiliation"))
    ]
    if identifiers:
        person["nameIdentifiers"] = identifiers
    if affiliations:
        person["affiliation"] = affiliations
    if node.get("contributorType"):
        person["contributorType"] = node.get("contributorType")
    return person


def _read_publisher(root: etree._Element) -> Json | None:
    node = root.find(_q("publisher"))
    return None if node is None else {"name": _text(node) or "", **_attrs(node, _PUBLISHER)}


def _read_year(root: etree._Element) -> int | None:
    text = _text(root.find(_q("publicationYear")))
    return int(text) if text and text.isdigit() else None


def _read_types(root: etree._Element) -> Json:
    node = root.find(_q("resourceType"))
    if node is None:
        return {}
    types: Json = {"resourceTypeGeneral": node.get("resourceTypeGeneral", "")}
    if _text(node):
        types["resourceType"] = _text(node)
    if types["resourceTypeGeneral"] == "Dataset":
        types.update(
            {"schemaOrg": "Dataset", "citeproc": "dataset", "bibtex": "misc", "ris": "DATA"}
        )
    return types


def _read_texts(wrapper: str, element: str) -> Callable[[etree._Element], list[str]]:
    def read(root: etree._Element) -> list[str]:
        return [t for e in root.iterfind(f"{_q(wrapper)}/{_q(element)}") if (t := _text(e))]

    return read


def _read_single(element: str) -> Callable[[etree._Element], str | None]:
    return lambda root: _text(root.find(_q(element)))


def _read_geo_locations(root: etree._Element) -> list[Json]:
    locations: list[Json] = []
    for node in root.iterfind(f"{_q('geoLocations')}/{_q('geoLocation')}"):
        location: Json = {}
        place = _text(node.find(_q("geoLocationPlace")))
        if place:
            location["geoLocationPlace"] = place
        for kind, parts in (("geoLocationPoint", _POINT), ("geoLocationBox", _BOX)):
            shape = node.find(_q(kind))
            if shape is not None:
                location[kind] = {p: _float(_text(shape.find(_q(p)))) for p in parts}
        locations.append(location)
    return locations


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _read_funding(root: etree._Element) -> list[Json]:
    references: list[Json] = []
    for node in root.iterfind(f"{_q('fundingReferences')}/{_q('fundingReference')}"):
        ref: Json = {"funderName": _text(node.find(_q("funderName"))) or ""}
        funder = node.find(_q("funderIdentifier"))
        if funder is not None and _text(funder):
            ref["funderIdentifier"] = _text(funder)
            ref["funderIdentifierType"] = funder.get("funderIdentifierType")
        award = node.find(_q("awardNumber"))
        if award is not None and _text(award):
            ref["awardNumber"] = _text(award)
            if award.get("awardURI"):
                ref["awardUri"] = award.get("awardURI")
        title = _text(node.find(_q("awardTitle")))
        if title:
            ref["awardTitle"] = title
        references.append(ref)
    return references


_READERS: dict[str, Callable[[etree._Element], Any]] = {
    "types": _read_types,
    "creators": _read_names("creators", "creator"),
    "titles": _read_repeated(_SIMPLE_LISTS[0]),
    "publisher": _read_publisher,
    "publicationYear": _read_year,
    "subjects": _read_repeated(_SIMPLE_LISTS[1]),
    "contributors": _read_names("contributors", "contributor"),
    "dates": _read_repeated(_SIMPLE_LISTS[2]),
    "language": _read_single("language"),
    "identifiers": _read_repeated(_SIMPLE_LISTS[3]),
    "relatedIdentifiers": _read_repeated(_SIMPLE_LISTS[4]),
    "sizes": _read_texts("sizes", "size"),
    "formats": _read_texts("formats", "format"),
    "version": _read_single("version"),
    "rightsList": _read_repeated(_SIMPLE_LISTS[5]),
    "descriptions": _read_repeated(_SIMPLE_LISTS[6]),
    "geoLocations": _read_geo_locations,
    "fundingReferences": _read_funding,
}
