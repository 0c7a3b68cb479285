"""The metadata model: what it accepts, how it normalises, and which field each error names."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.catalog.licences import normalise_licence
from accord.catalog.metadata import (
    DatasetMetadata,
    check_rkms_date,
    normalise_language,
    parse_metadata,
)
from accord.catalog.pids import check_related_identifier, normalise_doi, parse_version_ref
from accord.errors import InvalidInput
from tests.catalog.conftest import ORCID, metadata_document

ORG = "org_01JD0000000000000000000000"


def errors_of(document: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_metadata(document)
    assert caught.value.code == "catalog.invalid-metadata"
    assert caught.value.status == 422
    return {e.location: e.message for e in caught.value.errors}


def test_a_complete_document_is_accepted_and_normalised() -> None:
    document = metadata_document(
        ORG,
        doi="https://doi.org/10.5281/zenodo.1234",
        rights_list=[{"rights_identifier": "mit or apache-2.0"}],
        languages=["pt-br"],
        country_of_origin="ke",
        funding_references=[
            {
                "funder_name": "Wellcome Trust",
                "funder_identifier_type": "ROR",
                "funder_identifier": "https://ror.org/05gq02987",
                "award_number": "221234/Z/20/Z",
            }
        ],
        geo_locations=[
            {
                "geo_location_place": "Kisumu",
                "geo_location_point": {"point_longitude": 34.76, "point_latitude": -0.09},
            }
        ],
        related_identifiers=[
            {
                "related_identifier_type": "DOI",
                "related_identifier": "doi:10.1038/s41586-020-2649-2",
                "relation_type": "IsCitedBy",
            },
            {
                "related_identifier_type": "ISBN",
                "related_identifier": "978-3-16-148410-0",
                "relation_type": "IsDocumentedBy",
            },
        ],
    )
    document["creators"][0]["name_identifiers"][0]["name_identifier"] = f"https://orcid.org/{ORCID}"
    metadata = parse_metadata(document)
    assert metadata.doi == "10.5281/zenodo.1234"
    assert metadata.licence == "MIT OR Apache-2.0"
    assert metadata.rights_list[0].rights_uri is None
    assert metadata.languages == ["pt-BR"]
    assert metadata.country_of_origin == "KE"
    assert metadata.creators[0].orcid == ORCID
    assert metadata.creators[0].name_identifiers[0].scheme_uri == "https://orcid.org"
    assert metadata.creators[0].affiliation[0].affiliation_identifier_scheme == "ROR"
    assert metadata.funding_references[0].funder_identifier == "05gq02987"
    assert metadata.related_identifiers[0].related_identifier == "10.1038/s41586-020-2649-2"
    assert metadata.title == "Household malaria survey, Kisumu 2021"


def test_single_licence_gets_its_spdx_page() -> None:
    metadata = parse_metadata(metadata_document(ORG))
    assert metadata.rights_list[0].rights_uri == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert metadata.rights_list[0].rights_identifier_scheme == "SPDX"


MANDATORY = [
    "creators",
    "titles",
    "publisher",
    "descriptions",
    "rights_list",
    "tier",
    "organisation_id",
]


@pytest.mark.parametrize("field", MANDATORY)
def test_each_mandatory_field_is_named_when_missing(field: str) -> None:
    document = metadata_document(ORG)
    del document[field]
    assert errors_of(document) == {field: "this field is required"}


@pytest.mark.parametrize(
    ("change", "location", "fragment"),
    [
        ({"creators": []}, "creators", "at least 1"),
        ({"titles": [{"title": "  "}]}, "titles.0.title", "at least 1 character"),
        ({"doi": "10.12/x"}, "doi", "a DOI looks like"),
        ({"tier": "secret"}, "tier", "'open', 'registered'"),
        ({"organisation_id": "acme"}, "organisation_id", "expected form (^org_"),
        (
            {"rights_list": [{"rights_identifier": "Foo-1.0"}]},
            "rights_list.0.rights_identifier",
            "Unknown license",
        ),
        (
            {"rights_list": [{"rights_identifier": "MIT AND"}]},
            "rights_list.0.rights_identifier",
            "not a valid SPDX",
        ),
        ({"languages": ["xx"]}, "languages.0", "language tag"),
        ({"country_of_origin": "XX"}, "country_of_origin", "ISO 3166-1"),
        (
            {"dates": [{"date": "2021-02-30", "date_type": "Created"}]},
            "dates.0.date",
            "is not a date",
        ),
        (
            {"dates": [{"date": "2021", "date_type": "Born"}]},
            "dates.0.date_type",
            "this must be one of",
        ),
        ({"stewards": ["alice"]}, "stewards.0", "expected form (^usr_"),
        ({"subjects": [{"subject": "x", "value_uri": "ftp://x"}]}, "subjects.0.value_uri", "URL"),
        (
            {"publisher": {"name": "P", "publisher_identifier": "05gq02988"}},
            "publisher.publisher_identifier",
            "checksum",
        ),
        (
            {
                "geo_locations": [
                    {"geo_location_point": {"point_longitude": 200, "point_latitude": 0}}
                ]
            },
            "geo_locations.0.geo_location_point.point_longitude",
            "this must be at most 180",
        ),
        ({"geo_locations": [{}]}, "geo_locations.0", "place, a point or a box"),
        ({"unknown": 1}, "unknown", "not expected here"),
    ],
)
def test_bad_values_name_their_field(change: dict[str, Any], location: str, fragment: str) -> None:
    errors = errors_of(metadata_document(ORG, **change))
    assert location in errors, errors
    assert fragment in errors[location]


def test_bad_identifiers_name_their_field() -> None:
    document = metadata_document(ORG)
    document["creators"][0]["name_identifiers"][0]["name_identifier"] = "0000-0002-1825-0098"
    document["creators"][0]["affiliation"][0]["affiliation_identifier"] = "not-a-ror"
    document["related_identifiers"] = [
        {
            "related_identifier_type": "ISBN",
            "related_identifier": "978-3-16-148410-1",
            "relation_type": "Cites",
        },
        {
            "related_identifier_type": "URL",
            "related_identifier": "javascript:alert(1)",
            "relation_type": "Cites",
        },
    ]
    errors = errors_of(document)
    assert "checksum" in errors["creators.0.name_identifiers.0.name_identifier"]
    assert "ROR id" in errors["creators.0.affiliation.0.affiliation_identifier"]
    assert "ISBN" in errors["related_identifiers.0.related_identifier"]
    assert "URL" in errors["related_identifiers.1.related_identifier"]


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        ("DOI", "10.1000/182", True),
        ("DOI", "11.1000/182", False),
        ("Handle", "20.500.12345/abc", True),
        ("ARK", "ark:/13030/tf5p30086k", True),
        ("ARK", "ark:13030", False),
        ("URN", "urn:nbn:de:101:1-2019", True),
        ("PMID", "31452104", True),
        ("PMID", "PMC123", False),
        ("ISSN", "0317-8471", True),
        ("ISSN", "0317-8472", False),
        ("ISBN", "0-306-40615-2", True),
        ("arXiv", "arXiv:2101.00001v2", True),
        ("URL", "https://example.org/a", True),
        ("bibcode", "2020ApJ...900..100A", True),
    ],
)
def test_related_identifier_syntax_per_type(kind: str, value: str, ok: bool) -> None:
    if ok:
        assert check_related_identifier(kind, value)
    else:
        with pytest.raises(ValueError, match=r"\w"):
            check_related_identifier(kind, value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021", "2021"),
        ("2021-03", "2021-03"),
        ("2021-03-01/2021-09-30", "2021-03-01/2021-09-30"),
        ("2021-03-01/", "2021-03-01/"),
        ("/2021", "/2021"),
        ("2021-03-01T10:00:00Z", "2021-03-01T10:00:00Z"),
    ],
)
def test_dates_follow_rkms_iso8601(value: str, expected: str) -> None:
    assert check_rkms_date(value) == expected


@pytest.mark.parametrize("value", ["", "/", "21", "2021-3", "2021/2022/2023", "yesterday"])
def test_bad_dates_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        check_rkms_date(value)


def test_language_tags() -> None:
    assert normalise_language("EN") == "en"
    assert normalise_language("sw-ke") == "sw-KE"
    assert normalise_language("yue") == "yue"
    with pytest.raises(ValueError, match="language tag"):
        normalise_language("english")


def test_version_references() -> None:
    dataset = "ds_01JD0000000000000000000000"
    assert parse_version_ref(dataset).number is None
    assert parse_version_ref(f"{dataset}@v3").number == 3
    assert parse_version_ref(f"node-a/{dataset}@v2").dataset_id == dataset
    with pytest.raises(ValueError, match="dataset reference"):
        parse_version_ref("ds_x")
    assert normalise_doi("doi:10.1000/ABC") == "10.1000/ABC"


SPDX_IDS = ["MIT", "Apache-2.0", "CC-BY-4.0", "CC0-1.0", "GPL-3.0-or-later", "ODbL-1.0"]


@settings(deadline=None)  # no timing in tests: load must not fail them
@given(
    st.lists(st.sampled_from(SPDX_IDS), min_size=1, max_size=4), st.sampled_from([" OR ", " AND "])
)
def test_licence_normalisation_is_idempotent(ids: list[str], operator: str) -> None:
    expression = operator.join(ids).lower()
    once = normalise_licence(expression)
    assert normalise_licence(once) == once


@settings(deadline=None)  # no timing in tests: load must not fail them
@given(st.text(max_size=40))
def test_licence_validation_never_crashes(text: str) -> None:
    with contextlib.suppress(ValueError):
        normalise_licence(text)


def test_the_document_round_trips_through_json() -> None:
    metadata = parse_metadata(metadata_document(ORG, doi="10.1000/182"))
    assert DatasetMetadata.model_validate(metadata.as_json()) == metadata
