"""DCAT-AP 3: every export conforms to the official SHACL shapes, in every serialisation."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from rdflib import Graph, Literal, URIRef, namespace
from rdflib.compare import isomorphic

from accord.catalog.metadata import DatasetMetadata, Tier
from accord.standards import dcat
from accord.standards.rdf import DCAT, HYDRA, SPDX, serialize
from tests.standards.builders import NODE, link, metadata, record
from tests.standards.conftest import RICH
from tests.standards.shacl import assert_conforms
from tests.standards.strategies import metadata_document

FORMATS = {"turtle": "turtle", "xml": "xml", "json-ld": "json-ld"}


@pytest.mark.parametrize("tier", list(Tier))
def test_a_version_conforms_in_every_tier(tier: Tier) -> None:
    assert_conforms(dcat.version_graph(record(metadata(**RICH, tier=tier.value))))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metadata_document())
def test_any_record_conforms(document: dict[str, object]) -> None:
    assert_conforms(dcat.version_graph(record(DatasetMetadata.model_validate(document))))


def test_the_catalogue_conforms_and_pages_with_hydra() -> None:
    records = [record(metadata(**RICH)), record(metadata(), number=2, versions=(link(1), link(2)))]
    page = dcat.CataloguePage(f"{NODE.base_url}/catalog.ttl", f"{NODE.base_url}/catalog.ttl?c=2", 7)
    graph = dcat.catalogue_graph(NODE, records, page)
    assert_conforms(graph)
    catalog = URIRef(f"{NODE.base_url}/catalog")
    assert len(list(graph.objects(catalog, DCAT.dataset))) == 2
    view = URIRef(page.url)
    assert (view, HYDRA.next, URIRef(page.next_url or "")) in graph
    assert (view, HYDRA.totalItems, Literal(7, datatype=namespace.XSD.nonNegativeInteger)) in graph


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_serialisation_carries_the_same_graph(fmt: str) -> None:
    graph = dcat.version_graph(record(metadata(**RICH)))
    text = serialize(graph, fmt)  # type: ignore[arg-type]
    assert isomorphic(Graph().parse(data=text, format=FORMATS[fmt]), graph)


def test_versions_link_to_the_one_before_and_distributions_carry_checksums() -> None:
    graph = dcat.version_graph(record(metadata(), number=2, versions=(link(1), link(2))))
    v2 = URIRef(f"{NODE.base_url}/datasets/ds_01JQ0000000000000000000001/versions/2")
    v1 = URIRef(f"{NODE.base_url}/datasets/ds_01JQ0000000000000000000001/versions/1")
    assert (v2, DCAT.previousVersion, v1) in graph
    assert (v2, DCAT.version, Literal("2")) in graph
    distribution = next(graph.objects(v2, DCAT.distribution))
    checksum = next(graph.objects(distribution, SPDX.checksum))
    assert (checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256) in graph
    assert (
        distribution,
        DCAT.byteSize,
        Literal(14, datatype=namespace.XSD.nonNegativeInteger),
    ) in graph


def test_restricted_data_have_no_download_url() -> None:
    graph = dcat.version_graph(record(metadata(tier="restricted")))
    assert list(graph.subjects(namespace.RDF.type, DCAT.Distribution))
    assert not list(graph.objects(None, DCAT.downloadURL))
    access = next(graph.objects(None, namespace.DCTERMS.accessRights))
    assert str(access).endswith("/access-right/NON_PUBLIC")
