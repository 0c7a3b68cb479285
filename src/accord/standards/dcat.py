"""DCAT-AP 3 descriptions of versions and of the node's whole catalogue (RDF via rdflib).

Each published version is a ``dcat:Dataset`` (its landing page URL is its IRI) with one
``dcat:Distribution`` per file; versions link to the version before them (DCAT 3
``dcat:previousVersion``) and to the dataset they are versions of (``dct:isVersionOf``). The
catalogue is a ``dcat:Catalog`` listing the newest published version of every dataset, paged
with Hydra when it is long.

Every IRI used as a value gets the class DCAT-AP's range shapes require (``foaf:Agent``,
``dct:LicenseDocument``, ``dct:MediaType``…), so the graph validates with inference off against
the official DCAT-AP 3.0.1 SHACL shapes (``shapes.ttl`` + ``range.ttl``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pycountry
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from accord.catalog.metadata import Creator, DateEntry, GeoLocation
from accord.standards.access_rights import eu_access_right
from accord.standards.rdf import (
    ADMS,
    DCAT,
    GSP,
    HYDRA,
    LOCN,
    SPDX,
    VCARD,
    datetime_literal,
    new_graph,
)
from accord.standards.record import FileEntry, NodeInfo, VersionRecord

EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
EU_COUNTRY = "http://publications.europa.eu/resource/authority/country/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
_TEMPORAL_DATES = ("Coverage", "Collected")


@dataclass(frozen=True)
class CataloguePage:
    """Where a page of the catalogue sits: its own URL and the next page's, if any."""

    url: str
    next_url: str | None
    total: int


def version_graph(record: VersionRecord) -> Graph:
    """The DCAT-AP description of one version (dataset, distributions, agents, terms)."""
    graph = new_graph()
    add_version(graph, record)
    return graph


def catalogue_graph(
    node: NodeInfo, records: Sequence[VersionRecord], page: CataloguePage | None = None
) -> Graph:
    """The node's ``dcat:Catalog`` with ``records`` as its datasets (one page of them)."""
    graph = new_graph()
    catalog = URIRef(catalogue_iri(node))
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal(node.name, lang="en")))
    graph.add(
        (
            catalog,
            DCTERMS.description,
            Literal(
                f"Datasets published by the Accord node {node.name} ({node.node_id}).", lang="en"
            ),
        )
    )
    graph.add((catalog, DCTERMS.publisher, _node_agent(graph, node)))
    homepage = URIRef(f"{node.base_url}/")
    graph.add((catalog, FOAF.homepage, homepage))
    graph.add((homepage, RDF.type, FOAF.Document))
    graph.add((catalog, DCTERMS.spatial, _country(graph, node.jurisdiction)))
    for record in records:
        graph.add((catalog, DCAT.dataset, add_version(graph, record)))
    if records:
        newest = max(r.published_at or r.updated_at for r in records)
        graph.add((catalog, DCTERMS.modified, datetime_literal(newest)))
    if page is not None:
        _hydra(graph, page)
    return graph


def catalogue_iri(node: NodeInfo) -> str:
    return f"{node.base_url}/catalog"


def add_version(graph: Graph, record: VersionRecord) -> URIRef:
    """Add one version to ``graph``; returns its IRI."""
    m = record.metadata
    dataset = URIRef(record.landing_url)
    graph.add((dataset, RDF.type, DCAT.Dataset))
    for title in m.titles:
        if title.title_type is None:
            graph.add((dataset, DCTERMS.title, Literal(title.title, lang=title.lang)))
    for description in m.descriptions:
        if description.description_type == "Abstract":
            graph.add(
                (
                    dataset,
                    DCTERMS.description,
                    Literal(description.description, lang=description.lang),
                )
            )
    if not any(d.description_type == "Abstract" for d in m.descriptions):
        graph.add((dataset, DCTERMS.description, Literal(m.abstract)))
    graph.add((dataset, DCTERMS.identifier, Literal(record.pid)))
    graph.add((dataset, DCAT.version, Literal(str(record.number))))
    if record.published_at:
        graph.add((dataset, DCTERMS.issued, datetime_literal(record.published_at)))
        graph.add((dataset, DCTERMS.modified, datetime_literal(record.published_at)))
    _landing_page(graph, dataset, record.landing_url)
    graph.add((dataset, DCTERMS.publisher, _publisher(graph, record)))
    graph.add(
        (
            dataset,
            DCTERMS.accessRights,
            _typed(graph, eu_access_right(m.tier), DCTERMS.RightsStatement),
        )
    )
    graph.add((dataset, DCAT.contactPoint, _contact(graph, record)))
    graph.add((dataset, DCTERMS.isVersionOf, URIRef(record.dataset_url)))
    if record.previous is not None:
        graph.add((dataset, DCAT.previousVersion, URIRef(record.previous.landing_url)))
    _doi(graph, dataset, m.doi)
    _people(graph, dataset, m.creators)
    _subjects(graph, dataset, record)
    _languages(graph, dataset, m.languages)
    _spatial(graph, dataset, m.geo_locations, m.country_of_origin)
    _temporal(graph, dataset, m.dates)
    _relations(graph, dataset, record)
    for file in record.files:
        graph.add((dataset, DCAT.distribution, _distribution(graph, record, file)))
    return dataset


# --- parts ----------------------------------------------------------------------------------


def _typed(graph: Graph, iri: str, kind: URIRef) -> URIRef:
    ref = URIRef(iri)
    graph.add((ref, RDF.type, kind))
    return ref


def _landing_page(graph: Graph, dataset: URIRef, url: str) -> None:
    graph.add((dataset, DCAT.landingPage, _typed(graph, url, FOAF.Document)))


def _agent(graph: Graph, iri: str | None, name: str, kind: URIRef) -> Node:
    agent: Node = URIRef(iri) if iri else BNode()
    graph.add((agent, RDF.type, FOAF.Agent))
    if kind != FOAF.Agent:
        graph.add((agent, RDF.type, kind))
    graph.add((agent, FOAF.name, Literal(name)))
    return agent


def _node_agent(graph: Graph, node: NodeInfo) -> Node:
    return _agent(graph, f"{node.base_url}/.well-known/accord-node", node.name, FOAF.Organization)


def _publisher(graph: Graph, record: VersionRecord) -> Node:
    publisher = record.metadata.publisher
    ror = publisher.publisher_identifier
    return _agent(
        graph, f"https://ror.org/{ror}" if ror else None, publisher.name, FOAF.Organization
    )


def _contact(graph: Graph, record: VersionRecord) -> Node:
    contact = BNode()
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, VCARD.fn, Literal(record.organisation.name)))
    graph.add((contact, VCARD.hasURL, URIRef(record.dataset_url)))
    return contact


def _doi(graph: Graph, dataset: URIRef, doi: str | None) -> None:
    if not doi:
        return
    identifier = BNode()
    graph.add((identifier, RDF.type, ADMS.Identifier))
    graph.add((identifier, SKOS.notation, Literal(f"https://doi.org/{doi}", datatype=XSD.anyURI)))
    graph.add((identifier, ADMS.schemeAgency, Literal("DataCite")))
    graph.add((dataset, ADMS.identifier, identifier))


def _people(graph: Graph, dataset: URIRef, creators: Iterable[Creator]) -> None:
    for creator in creators:
        kind = FOAF.Person if creator.name_type == "Personal" else FOAF.Organization
        orcid = f"https://orcid.org/{creator.orcid}" if creator.orcid else None
        graph.add((dataset, DCTERMS.creator, _agent(graph, orcid, creator.name, kind)))


def _subjects(graph: Graph, dataset: URIRef, record: VersionRecord) -> None:
    m = record.metadata
    for keyword in m.keywords:
        graph.add((dataset, DCAT.keyword, Literal(str(keyword), lang=keyword.lang)))
    for subject in m.subjects:
        if subject.value_uri:
            concept = _typed(graph, subject.value_uri, SKOS.Concept)
            graph.add((concept, SKOS.prefLabel, Literal(subject.subject, lang=subject.lang)))
            graph.add((dataset, DCAT.theme, concept))
        else:
            graph.add((dataset, DCAT.keyword, Literal(subject.subject, lang=subject.lang)))


def _languages(graph: Graph, dataset: URIRef, languages: Iterable[str]) -> None:
    for tag in languages:
        code = _eu_language(tag)
        if code:
            graph.add(
                (
                    dataset,
                    DCTERMS.language,
                    _typed(graph, EU_LANGUAGE + code, DCTERMS.LinguisticSystem),
                )
            )


def _eu_language(tag: str) -> str | None:
    """The EU language authority code (ISO 639-2/T, upper case) of a BCP 47 tag."""
    primary = tag.split("-", 1)[0].lower()
    language = (
        pycountry.languages.get(alpha_2=primary)
        if len(primary) == 2
        else pycountry.languages.get(alpha_3=primary)
    )
    return str(language.alpha_3).upper() if language is not None else None


def _country(graph: Graph, alpha_2: str) -> URIRef:
    country = pycountry.countries.get(alpha_2=alpha_2)
    code = country.alpha_3 if country is not None else alpha_2
    return _typed(graph, f"{EU_COUNTRY}{code}", DCTERMS.Location)


def _spatial(
    graph: Graph, dataset: URIRef, locations: Iterable[GeoLocation], country: str | None
) -> None:
    if country:
        graph.add((dataset, DCTERMS.spatial, _country(graph, country)))
    for location in locations:
        place = BNode()
        graph.add((place, RDF.type, DCTERMS.Location))
        if location.geo_location_place:
            graph.add((place, LOCN.geographicName, Literal(location.geo_location_place)))
        if location.geo_location_point:
            p = location.geo_location_point
            wkt = f"POINT({p.point_longitude} {p.point_latitude})"
            graph.add((place, DCAT.centroid, Literal(wkt, datatype=GSP.wktLiteral)))
        if location.geo_location_box:
            b = location.geo_location_box
            w, e, s, n = (
                b.west_bound_longitude,
                b.east_bound_longitude,
                b.south_bound_latitude,
                b.north_bound_latitude,
            )
            wkt = f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"
            graph.add((place, DCAT.bbox, Literal(wkt, datatype=GSP.wktLiteral)))
        graph.add((dataset, DCTERMS.spatial, place))


def _temporal(graph: Graph, dataset: URIRef, dates: Iterable[DateEntry]) -> None:
    for entry in dates:
        if entry.date_type not in _TEMPORAL_DATES:
            continue
        start, separator, end = entry.date.partition("/")
        period = BNode()
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if start:
            graph.add((period, DCAT.startDate, _date_literal(start)))
        if end or not separator:
            graph.add((period, DCAT.endDate, _date_literal(end or start)))
        graph.add((dataset, DCTERMS.temporal, period))


def _date_literal(text: str) -> Literal:
    """``YYYY`` → xsd:gYear, ``YYYY-MM`` → xsd:gYearMonth, a date or a date-time as such."""
    kinds = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}
    return Literal(text, datatype=kinds.get(len(text), XSD.dateTime))


def _relations(graph: Graph, dataset: URIRef, record: VersionRecord) -> None:
    for related in record.metadata.related_identifiers:
        kind, value = related.related_identifier_type, related.related_identifier
        if kind == "DOI":
            target = URIRef(f"https://doi.org/{value}")
        elif kind in {"URL", "PURL", "w3id"}:
            target = URIRef(value)
        else:
            continue
        predicate = (
            PROV.wasDerivedFrom if related.relation_type == "IsDerivedFrom" else DCTERMS.relation
        )
        graph.add((dataset, predicate, target))


def _distribution(graph: Graph, record: VersionRecord, file: FileEntry) -> URIRef:
    base = record.node.base_url
    distribution = URIRef(
        f"{base}/api/v1/datasets/{record.dataset_id}/versions/{record.number}/files/{file.id}"
    )
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCTERMS.title, Literal(file.path)))
    graph.add((distribution, DCAT.accessURL, URIRef(record.landing_url)))
    if record.metadata.tier.value != "restricted":
        graph.add((distribution, DCAT.downloadURL, URIRef(file.content_url)))
    media = _typed(graph, IANA_MEDIA_TYPES + file.media_type, DCTERMS.MediaType)
    graph.add((distribution, DCAT.mediaType, media))
    graph.add((distribution, DCAT.byteSize, Literal(file.size, datatype=XSD.nonNegativeInteger)))
    checksum = BNode()
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((checksum, SPDX.checksumValue, Literal(file.sha256, datatype=XSD.hexBinary)))
    graph.add((distribution, SPDX.checksum, checksum))
    for rights in record.metadata.rights_list:
        graph.add(
            (
                distribution,
                DCTERMS.license,
                _licence(graph, rights.rights_uri, rights.rights_identifier),
            )
        )
    return distribution


def _licence(graph: Graph, url: str | None, expression: str) -> Node:
    licence: Node = URIRef(url) if url else BNode()
    graph.add((licence, RDF.type, DCTERMS.LicenseDocument))
    graph.add((licence, RDFS.label, Literal(expression)))
    return licence


def _hydra(graph: Graph, page: CataloguePage) -> None:
    view = URIRef(page.url)
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.totalItems, Literal(page.total, datatype=XSD.nonNegativeInteger)))
    if page.next_url:
        graph.add((view, HYDRA.next, URIRef(page.next_url)))
