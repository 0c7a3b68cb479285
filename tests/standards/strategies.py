"""Hypothesis strategies: valid catalog metadata documents with awkward content."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.standards.builders import MINIMAL

_CHARS = st.characters(
    min_codepoint=32, max_codepoint=0x2FFF, blacklist_categories=("Cs", "Cc", "Zl", "Zp")
)
text = st.text(alphabet=_CHARS, min_size=1, max_size=40).filter(lambda s: s.strip() != "")
long_text = st.text(alphabet=st.one_of(_CHARS, st.just("\n")), min_size=1, max_size=200).filter(
    lambda s: s.strip() != ""
)
ORCIDS = ["0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0002-1694-233X"]
RORS = ["05gq02987", "029chgv08"]
LICENCES = ["CC-BY-4.0", "CC0-1.0", "MIT", "CC-BY-NC-4.0", "ODbL-1.0"]
LANGUAGES = ["en", "fr", "pt-BR", "sw", "de"]
DATES = ["2021", "2021-03", "2021-03-04", "2021-03/2021-09", "2020-01-01/", "/2022-12-31"]
DATE_TYPES = ["Collected", "Coverage", "Created", "Issued", "Updated", "Valid", "Other"]
CONTRIBUTOR_TYPES = ["ContactPerson", "DataCurator", "Sponsor", "Researcher", "Other"]
RELATIONS = ["IsDerivedFrom", "IsCitedBy", "References", "IsSupplementTo", "HasPart"]


@st.composite
def person(draw: st.DrawFn) -> dict[str, Any]:
    organisational = draw(st.booleans())
    entry: dict[str, Any] = {"name": draw(text)}
    if organisational:
        entry["name_type"] = "Organizational"
        return entry
    if draw(st.booleans()):
        entry["given_name"] = draw(text)
        entry["family_name"] = draw(text)
    if draw(st.booleans()):
        entry["name_identifiers"] = [
            {"name_identifier_scheme": "ORCID", "name_identifier": draw(st.sampled_from(ORCIDS))}
        ]
    if draw(st.booleans()):
        entry["affiliation"] = [
            {"name": draw(text)}
            | (
                {"affiliation_identifier": draw(st.sampled_from(RORS))}
                if draw(st.booleans())
                else {}
            )
        ]
    return entry


@st.composite
def subject(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {"subject": draw(text)}
    if draw(st.booleans()):
        entry["subject_scheme"] = draw(st.sampled_from(["MeSH", "FOS", "LCSH"]))
    if draw(st.booleans()):
        entry["value_uri"] = "https://id.nlm.nih.gov/mesh/D008288"
    return entry


@st.composite
def related(draw: st.DrawFn) -> dict[str, Any]:
    kind, value = draw(
        st.sampled_from(
            [("DOI", "10.1000/182"), ("URL", "https://example.org/a?b=1&c=2"), ("PMID", "31452104")]
        )
    )
    return {
        "related_identifier_type": kind,
        "related_identifier": value,
        "relation_type": draw(st.sampled_from(RELATIONS)),
    }


@st.composite
def geo_location(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if draw(st.booleans()):
        entry["geo_location_place"] = draw(text)
    longitude = st.floats(-180, 180, allow_nan=False)
    latitude = st.floats(-90, 90, allow_nan=False)
    if draw(st.booleans()) or not entry:
        entry["geo_location_point"] = {
            "point_longitude": draw(longitude),
            "point_latitude": draw(latitude),
        }
    if draw(st.booleans()):
        south, north = sorted([draw(latitude), draw(latitude)])
        entry["geo_location_box"] = {
            "west_bound_longitude": draw(longitude),
            "east_bound_longitude": draw(longitude),
            "south_bound_latitude": south,
            "north_bound_latitude": north,
        }
    return entry


@st.composite
def metadata_document(draw: st.DrawFn) -> dict[str, Any]:
    """A valid metadata document: every DataCite property the catalog models, in any mix."""
    alternate = {"title_type": "AlternativeTitle", "lang": draw(st.sampled_from(LANGUAGES))}
    funder = {"funder_identifier_type": "ROR", "funder_identifier": draw(st.sampled_from(RORS))}
    publisher: dict[str, Any] = {"name": draw(text)}
    if draw(st.booleans()):
        publisher["publisher_identifier"] = draw(st.sampled_from(RORS))
    doc: dict[str, Any] = {
        "titles": [{"title": draw(text)}]
        + [{"title": draw(text), **alternate} for _ in range(draw(st.integers(0, 1)))],
        "creators": draw(st.lists(person(), min_size=1, max_size=3)),
        "publisher": publisher,
        "publication_year": draw(st.integers(1900, 2100)),
        "descriptions": [{"description": draw(long_text)}]
        + [
            {"description": draw(long_text), "description_type": "Methods"}
            for _ in range(draw(st.integers(0, 1)))
        ],
        "rights_list": [{"rights_identifier": draw(st.sampled_from(LICENCES))}],
        "subjects": draw(st.lists(subject(), max_size=3)),
        "keywords": draw(st.lists(text, max_size=3)),
        "languages": draw(st.lists(st.sampled_from(LANGUAGES), max_size=1)),
        "dates": [
            {"date": draw(st.sampled_from(DATES)), "date_type": draw(st.sampled_from(DATE_TYPES))}
            for _ in range(draw(st.integers(0, 2)))
        ],
        "contributors": [
            {**draw(person()), "contributor_type": draw(st.sampled_from(CONTRIBUTOR_TYPES))}
            for _ in range(draw(st.integers(0, 2)))
        ],
        "related_identifiers": draw(st.lists(related(), max_size=2)),
        "geo_locations": draw(st.lists(geo_location(), max_size=2)),
        "sizes": draw(st.lists(text, max_size=1)),
        "formats": draw(st.lists(st.sampled_from(["text/csv", "application/pdf"]), max_size=1)),
        "funding_references": [
            {
                "funder_name": draw(text),
                "award_number": "A-1",
                **(funder if draw(st.booleans()) else {}),
            }
            for _ in range(draw(st.integers(0, 1)))
        ],
        "tier": draw(st.sampled_from(["open", "registered", "controlled", "restricted"])),
        "organisation_id": MINIMAL["organisation_id"],
    }
    if draw(st.booleans()):
        doc["doi"] = "10.5281/zenodo." + str(draw(st.integers(1, 9_999_999)))
    return doc
