"""schema.org ``Dataset`` JSON-LD: Google Dataset Search's required and recommended fields."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from accord.catalog.metadata import Tier
from accord.standards.schema_org import to_schema_org
from tests.standards.builders import metadata, record
from tests.standards.conftest import RICH

SDO = Namespace("https://schema.org/")
REQUIRED = ("name", "description")
RECOMMENDED = (
    "creator",
    "citation",
    "funder",
    "identifier",
    "isAccessibleForFree",
    "keywords",
    "license",
    "sameAs",
    "spatialCoverage",
    "temporalCoverage",
    "version",
    "url",
    "includedInDataCatalog",
    "distribution",
)


def parsed(document: dict[str, object]) -> Graph:
    """The document as RDF, with schema.org's context given inline (no network)."""
    offline = {**document, "@context": {"@vocab": "https://schema.org/"}}
    return Graph().parse(data=json.dumps(offline), format="json-ld")


def test_a_rich_record_carries_every_required_and_recommended_field() -> None:
    document = to_schema_org(record(metadata(**RICH)))
    assert all(document.get(field) for field in REQUIRED)
    assert 50 <= len(str(document["description"])) <= 5000
    assert [f for f in RECOMMENDED if f not in document] == []
    assert document["@id"] == "https://doi.org/10.5281/zenodo.1234567"
    assert document["temporalCoverage"] == "2021-03/2021-09"
    assert document["creator"][0]["@id"] == "https://orcid.org/0000-0002-1825-0097"
    assert document["funder"][0]["sameAs"] == "https://ror.org/029chgv08"
    assert document["citation"] == ["https://doi.org/10.1000/182"]


def test_it_parses_as_a_schema_org_dataset() -> None:
    graph = parsed(to_schema_org(record(metadata(**RICH))))
    dataset = URIRef("https://doi.org/10.5281/zenodo.1234567")
    assert (dataset, RDF.type, SDO.Dataset) in graph
    assert (dataset, SDO.name, Literal("Household malaria survey, Kisumu 2021")) in graph
    assert len(list(graph.objects(dataset, SDO.distribution))) == 1


@pytest.mark.parametrize("tier", list(Tier))
def test_access_is_stated_per_tier(tier: Tier) -> None:
    document = to_schema_org(record(metadata(tier=tier.value)))
    assert document["isAccessibleForFree"] is (tier is Tier.OPEN)
    assert ("conditionsOfAccess" in document) is (tier is not Tier.OPEN)
    assert ("distribution" in document) is (tier is not Tier.RESTRICTED)
