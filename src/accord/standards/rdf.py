"""Shared RDF plumbing for the DCAT-AP and PROV-O exports: prefixes, literals, serialisation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal as TypingLiteral

from rdflib import Graph, Literal, Namespace
from rdflib.namespace import DCTERMS, FOAF, PROV, RDFS, SKOS, XSD

DCAT = Namespace("http://www.w3.org/ns/dcat#")  # DCAT 3 terms (version, previousVersion)
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")

RdfFormat = TypingLiteral["turtle", "xml", "json-ld"]
MEDIA_TYPES: dict[RdfFormat, str] = {
    "turtle": "text/turtle",
    "xml": "application/rdf+xml",
    "json-ld": "application/ld+json",
}
PREFIXES = {
    "dcat": DCAT,
    "dct": DCTERMS,
    "foaf": FOAF,
    "vcard": VCARD,
    "spdx": SPDX,
    "adms": ADMS,
    "skos": SKOS,
    "prov": PROV,
    "locn": LOCN,
    "gsp": GSP,
    "hydra": HYDRA,
    "xsd": XSD,
    "rdfs": RDFS,
}


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def serialize(graph: Graph, fmt: RdfFormat) -> bytes:
    """Turtle, RDF/XML or JSON-LD (compacted with the prefixes above) as UTF-8 bytes."""
    if fmt == "json-ld":
        context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        return graph.serialize(format="json-ld", context=context, indent=2).encode()
    return graph.serialize(format=fmt, encoding="utf-8")


def datetime_literal(moment: datetime) -> Literal:
    """An ``xsd:dateTime`` in UTC, to the second."""
    text = moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return Literal(text, datatype=XSD.dateTime)
