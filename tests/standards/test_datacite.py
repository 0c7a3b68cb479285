"""DataCite XML and JSON: valid against the official 4.7 XSD, and export → import → export gives
the same document (everything the depositor controls survives; the node reassigns the rest)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree

from accord.catalog.metadata import DatasetMetadata, Tier
from accord.errors import InvalidInput
from accord.standards import datacite_json, datacite_xml
from accord.standards.datacite_json import metadata_from_datacite_json, to_datacite_json
from accord.standards.xsd import validate_datacite
from tests.standards.builders import MINIMAL, ORGANISATION, metadata, record
from tests.standards.conftest import RICH
from tests.standards.strategies import metadata_document

NS = {"d": datacite_xml.NS}


def export_xml(meta: DatasetMetadata) -> bytes:
    return datacite_xml.render(to_datacite_json(record(meta)))


def reimport(doc: dict[str, Any], meta: DatasetMetadata) -> DatasetMetadata:
    """Import ``doc`` as a new draft of the same organisation and tier would be made."""
    imported = metadata_from_datacite_json(doc)
    return DatasetMetadata.model_validate(
        {**imported.document, "tier": meta.tier.value, "organisation_id": ORGANISATION.id}
    )


def test_a_rich_record_is_valid_and_says_what_the_metadata_says() -> None:
    meta = metadata(**RICH)
    xml = export_xml(meta)
    validate_datacite(xml)
    root = etree.fromstring(xml)
    assert root.findtext("d:identifier", namespaces=NS) == "10.5281/zenodo.1234567"
    assert root.find("d:identifier", NS).get("identifierType") == "DOI"
    assert root.findtext("d:publicationYear", namespaces=NS) == "2026"
    assert root.find("d:resourceType", NS).get("resourceTypeGeneral") == "Dataset"
    assert root.findtext("d:version", namespaces=NS) == "1"
    pid = root.find("d:alternateIdentifiers/d:alternateIdentifier", NS)
    assert (pid.get("alternateIdentifierType"), pid.text) == (
        "Accord PID",
        "test-node/ds_01JQ0000000000000000000001@v1",
    )
    orcid = root.find("d:creators/d:creator/d:nameIdentifier", NS)
    assert orcid.text == "https://orcid.org/0000-0002-1825-0097"
    assert orcid.get("nameIdentifierScheme") == "ORCID"
    rights = root.findall("d:rightsList/d:rights", NS)
    assert [r.get("rightsIdentifier") for r in rights] == ["CC-BY-4.0", None]
    assert rights[1].get("rightsURI") == "info:eu-repo/semantics/openAccess"
    subjects = [s.text for s in root.findall("d:subjects/d:subject", NS)]
    assert subjects == ["Malaria", "Public health", "bed nets", "household survey"]
    funder = root.find("d:fundingReferences/d:fundingReference/d:funderIdentifier", NS)
    assert funder.text == "https://ror.org/029chgv08"


def test_without_a_doi_the_landing_page_identifies_the_version() -> None:
    root = etree.fromstring(export_xml(metadata()))
    identifier = root.find("d:identifier", NS)
    assert identifier.get("identifierType") == "URL"
    assert (
        identifier.text
        == "https://node.example.org/datasets/ds_01JQ0000000000000000000001/versions/1"
    )


@pytest.mark.parametrize(
    ("tier", "access"),
    [
        (Tier.OPEN, "openAccess"),
        (Tier.REGISTERED, "restrictedAccess"),
        (Tier.CONTROLLED, "restrictedAccess"),
        (Tier.RESTRICTED, "closedAccess"),
    ],
)
def test_each_tier_is_stated_as_a_coar_access_right(tier: Tier, access: str) -> None:
    doc = to_datacite_json(record(metadata(tier=tier.value)))
    assert doc["rightsList"][-1]["rightsUri"] == f"info:eu-repo/semantics/{access}"
    suggested = metadata_from_datacite_json(doc).suggested_tier
    assert suggested == (None if access == "restrictedAccess" else tier)


def test_the_xml_round_trip_of_a_rich_record_is_exact() -> None:
    meta = metadata(**RICH)
    first = export_xml(meta)
    again = reimport(datacite_xml.parse(first), meta)
    assert export_xml(again) == first


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metadata_document())
def test_every_record_is_valid_and_round_trips(document: dict[str, Any]) -> None:
    meta = DatasetMetadata.model_validate(document)
    first = export_xml(meta)
    validate_datacite(first)
    assert export_xml(reimport(datacite_xml.parse(first), meta)) == first
    as_json = to_datacite_json(record(meta))
    assert to_datacite_json(record(reimport(as_json, meta))) == as_json


def test_control_characters_never_reach_the_xml() -> None:
    meta = metadata(titles=[{"title": "Survey\x0b 2021\x01"}])
    xml = export_xml(meta)
    validate_datacite(xml)
    assert etree.fromstring(xml).findtext("d:titles/d:title", namespaces=NS) == "Survey 2021"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<resource", "standards.bad-xml"),
        (b"<record xmlns='urn:x'/>", "standards.not-datacite"),
        (
            b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>',
            "standards.not-datacite",
        ),
    ],
)
def test_what_is_not_a_datacite_record_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        datacite_xml.parse(data)
    assert refused.value.code == code


def test_schema_errors_name_the_line() -> None:
    xml = export_xml(metadata())
    broken = xml.replace(b"<titles>", b"<titlez>").replace(b"</titles>", b"</titlez>")
    with pytest.raises(InvalidInput) as refused:
        validate_datacite(broken)
    assert refused.value.code == "standards.invalid-datacite"
    assert refused.value.errors[0].location.startswith("line ")
    assert "titlez" in refused.value.message


def test_datacite_rest_api_json_imports() -> None:
    """DataCite's REST API shape: publisher as a string, identifiers, rights with SPDX."""
    doc = {
        "doi": "10.14454/FXWS-0523",
        "creators": [{"name": "DataCite Metadata Working Group", "nameType": "Organizational"}],
        "titles": [{"title": "DataCite Metadata Schema 4.4"}],
        "publisher": "DataCite",
        "publicationYear": "2021",
        "types": {"resourceTypeGeneral": "Text", "resourceType": "Documentation"},
        "descriptions": [{"description": "The schema.", "descriptionType": "Abstract"}],
        "rightsList": [{"rightsIdentifier": "cc-by-4.0", "rightsIdentifierScheme": "SPDX"}],
        "language": "en",
    }
    imported = metadata_from_datacite_json(doc).document
    meta = DatasetMetadata.model_validate(
        {**imported, "tier": "open", "organisation_id": MINIMAL["organisation_id"]}
    )
    assert meta.doi == "10.14454/FXWS-0523"
    assert meta.publisher.name == "DataCite"
    assert meta.publication_year == 2021
    assert meta.resource_type.resource_type_general == "Text"
    assert meta.licence == "CC-BY-4.0"
    assert datacite_json.PID_TYPE not in str(imported)
