"""PROV-O lineage: versions are revisions of each other; withdrawal invalidates a version."""

from __future__ import annotations

from datetime import UTC, datetime

from rdflib import Graph, URIRef
from rdflib.namespace import PROV, RDF

from accord.standards.prov import lineage_graph
from accord.standards.rdf import serialize
from tests.standards.builders import DATASET, NODE, link, metadata, record
from tests.standards.conftest import RICH

WITHDRAWN = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)


def url(number: int) -> URIRef:
    return URIRef(f"{NODE.base_url}/datasets/{DATASET}/versions/{number}")


def test_lineage_of_three_versions() -> None:
    versions = (link(1, withdrawn=WITHDRAWN), link(2), link(3))
    graph = lineage_graph(record(metadata(**RICH), number=3, versions=versions))
    assert (url(2), PROV.wasRevisionOf, url(1)) in graph
    assert (url(3), PROV.wasRevisionOf, url(2)) in graph
    for n in (1, 2, 3):
        assert (
            url(n),
            PROV.specializationOf,
            URIRef(f"{NODE.base_url}/datasets/{DATASET}"),
        ) in graph
        assert (url(n), PROV.wasGeneratedBy, URIRef(f"{url(n)}#publication")) in graph
    assert (url(1), PROV.wasInvalidatedBy, URIRef(f"{url(1)}#withdrawal")) in graph
    assert list(graph.objects(url(2), PROV.invalidatedAtTime)) == []
    assert (url(3), PROV.wasDerivedFrom, URIRef("https://doi.org/10.1000/182")) in graph
    assert (URIRef("https://orcid.org/0000-0002-1825-0097"), RDF.type, PROV.Person) in graph


def test_it_round_trips_as_turtle_and_json_ld() -> None:
    graph = lineage_graph(record(metadata(), versions=(link(1),)))
    for fmt in ("turtle", "json-ld"):
        again = Graph().parse(data=serialize(graph, fmt), format=fmt)  # type: ignore[arg-type]
        assert len(again) == len(graph)
